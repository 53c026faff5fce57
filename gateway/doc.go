// Package gateway is the command logic of the chat gateway (the product's
// GatewayServer): it implements engine.Handler, authenticates connections
// with the token their upgrade carried or with LOGIN (cmd 1001), runs the
// commands of PROTOCOL.md §3, and routes SEND (2001) through the hub to
// every session of the recipient and to the sender's other sessions.
//
// # Goroutines
//
// A session (one connection's state) is read and changed only on its
// connection's event loop: in the engine.Handler callbacks and in functions
// passed to engine.Conn.Execute. Password checks run on the auth package's
// worker pool and come back to the loop with Execute. Routing runs on the
// hub's shard owners, which reach connections only through the
// goroutine-safe engine.Conn.Send. The HTTP API runs on net/http's
// goroutines and touches no session.
//
// # Token lifecycle
//
// A session's access token expires at its exp plus the leeway: the
// engine's per-connection timer (OnTimer) pushes 3004 and drops it to
// unauthenticated with -login-timeout to REFRESH (1004) or LOGIN. REFRESH
// and LOGIN run on the auth workers and finish on the loop. LOGOUT revokes
// the session's refresh family. Kicks (login policies, reuse of a refresh
// token, POST /api/kick) run on the user's shard owner (hub.Sessions): a
// 3003 push with Conn.Send, then Conn.Close(4003); the kicked session's
// family is revoked so that it cannot refresh its way back. Each session's
// hub entry is a member (session.go: hub.Member plus the family), immutable
// once added; a new authentication of another user or family adds a new
// one, which is when the login policy applies. The first authentication's
// member is stored inside the session (one allocation); later ones are
// allocated.
//
// # One message, socket to socket
//
// engine (loop of A) → Gateway.OnMessage → protocol.DecodeEnvelope →
// handleSend builds one MESSAGE frame → hub.Deliver(to_uid) and
// hub.Deliver(own user, except this session) → shard owners call
// engine.Conn.Send on each session → the recipients' loops writev the frame.
//
// # Operating it
//
// NewAPI serves /healthz, /readyz, /api/stats, /metrics (NewRegistry) and
// /dashboard next to the login endpoints. The counters behind them are
// typed atomics striped by event loop (stats.go), read at scrape time.
// Drain runs the shutdown sequence of PROTOCOL.md (RECONNECT, 1001) from
// its own goroutine; it reaches sessions only through engine.Conn.Execute.
// Config.MessageRate limits each connection's messages with a token bucket
// kept in its session (loop-owned).
// # Cluster mode
//
// With Config.Cluster set (a cluster.Bus), SEND and POST /api/push also
// hand the MESSAGE's JSON to the bus for the other nodes, commands with
// cmd_id >= 10000 go to backends as NATS requests, and PushRemote delivers
// what other nodes and backends publish. The Cluster's methods never block,
// so they are called on event loops; their callbacks come back through the
// goroutine-safe engine.Conn.Send.
package gateway
