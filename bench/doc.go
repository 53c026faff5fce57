// Package bench is the gateway's load generator, used by cmd/bench. It
// drives a server only over the wire (it imports nothing of the gateway), so
// it measures the gateway and any other RFC 6455 server the same way.
//
// Four scenarios, each a function taking a Config and returning a Report:
//
//   - Connect opens Config.Conns connections at Config.Rate and reports
//     connect latency (TCP, upgrade, and first frame with code 200, all from
//     the start of the dial) and failures by kind.
//   - Idle connects, then holds the connections for Config.Duration,
//     answering pings, and reports server and client memory per connection
//     (VmRSS of Config.ServerPIDs, the Config.StatsURL endpoint).
//   - Echo keeps Config.Inflight frames in flight per connection against any
//     echo server and reports messages per second and round-trip time.
//   - Chat makes every connection a user sending SEND (cmd 2001) to random
//     other users (or itself) and reports throughput, end-to-end latency,
//     loss and duplicates.
//
// With Config.ServerPIDs, Idle reports the server's RSS per connection,
// and Echo and Chat the server's CPU time, read/write system calls per
// message and RSS over the measurement (ServerLoad, from /proc).
//
// Latencies are HDR histograms (hdrhistogram-go); a Report carries them
// encoded, so Merge combines reports exactly. RunProcs spreads one run over
// child processes (each runs its Config.Shard through RunChild and waits
// for the others at every stage, Config.Sync) to get past one process's
// open-files limit, and merges their reports.
//
// Tokens are minted per user (HS256, sub = UserPrefix + n) and presented in
// the query, an Authorization header or a bearer.* subprotocol; or the
// connection logs in with LOGIN (cmd 1001). Connections can be spread over
// many source addresses (Config.Src) to get past the ~28k ports one source
// address has towards one target.
//
// Each connection has one goroutine that reads (answering pings on the
// way), a read buffer of Config.ReadBuffer bytes and a write buffer that is
// dropped when large; Chat adds a sender goroutine per connection.
//
// Goroutine safety: the scenario functions and RunProcs may run
// concurrently with each other (they share nothing but the process's open-files limit, which each
// checks on entry; the check is not a reservation). A Config is read, never
// written. A Report is plain data owned by the caller. Config.Progress is
// written from one goroutine at a time.
package bench
