package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/imgate/gateway/bench"
)

// Environment fallbacks for secrets, so they stay out of ps and shell history.
const (
	envSecret = "GATEWAY_JWT_SECRET"
	envPass   = "GATEWAY_BENCH_PASSWORD"
)

const usage = `NAME
    bench - load generator for the WebSocket gateway

SYNOPSIS
    bench connect|idle|echo|chat|room [flags]
    bench merge REPORT.json... [-json FILE]

SCENARIOS
    connect  open -conns connections at -rate per second, wait for each one's
             first frame with code 200 (and the LOGIN answer with -auth login),
             close them; report connect latency (tcp, upgrade, auth: from the
             start of the TCP dial) and errors by kind. Ends when every attempt
             has ended (each bounded by -timeout); -duration is not used.
    idle     like connect, then hold every connection for -duration answering
             the server's pings; report the server's RSS per connection
             (-server-pid), the stats endpoint (-stats-url), the client's RSS
             and connections the server dropped.
    echo     raw text (or -binary) frames of -payload bytes to any RFC 6455
             echo server, -inflight per connection, for -duration; report
             messages/s and round-trip latency. -auth defaults to none.
    chat     every connection is user <prefix><n>; each sends SEND (cmd 2001)
             to random other users, at -msg-rate per second or as fast as
             -inflight allows, for -duration; report throughput, end-to-end
             latency (timestamp carried in the content), ack latency, loss and
             duplicates. -to self sends to the sender's own user id instead.
    room     connection i is in room bench:<i mod -rooms> (its token's rooms
             claim); the first -publishers connections PUBLISH (cmd 2103) to
             their room at -msg-rate per second each (or as fast as -inflight
             allows) for -duration; report deliveries/s, deliveries per
             server CPU-second (-server-pid), publish→delivery latency over
             every delivery, and loss, duplicates, out-of-order per member.
    merge    combine -json reports of runs made at the same time (several
             machines) into one: counts and rates add up, latencies come
             from the merged HDR histograms.

TARGETS AND PACING
    -target LIST      comma-separated host:port or ws://, wss:// URLs;
                      connections go round-robin (default 127.0.0.1:8080)
    -conns N          connections (users in chat) (default 1)
    -rate R           new connections per second (default: -conns/-ramp, or
                      as fast as -concurrency allows)
    -ramp D           spread the connects over D when -rate is not set
    -concurrency N    handshakes in flight at most (default 512)
    -duration D       hold (idle) or measurement (echo, chat) time (default 10s)
    -timeout D        bound on one connect: TCP, upgrade, first frame, login;
                      in chat also the wait for messages in flight (default 10s)
    -src LIST         local addresses and ranges used round-robin, e.g.
                      127.0.0.2-127.0.0.80; one source address reaches one
                      target about 28k times (IP_BIND_ADDRESS_NO_PORT is set)
    -insecure         do not check TLS certificates (wss://)
    -procs N          spread the connections over N child processes (each runs
                      its share of -conns, users and -rate; they start each
                      phase together); their counts and HDR histograms are
                      merged into one report. Use it past one process's
                      open-files limit (default 1: this process alone)

AUTHENTICATION
    -auth MODE        query (?token=), header (Authorization: Bearer),
                      subprotocol (Sec-WebSocket-Protocol: bearer.JWT,
                      gateway.v1), login (LOGIN cmd 1001 after the first
                      frame) or none (default query; none for echo)
    -jwt-secret S     HS256 key to mint tokens (sub, iat, exp); prefer the
                      environment variable GATEWAY_JWT_SECRET
    -token-ttl D      lifetime of minted tokens (default 1h)
    -user-prefix P    user n is P<n> (default u)
    -first-user N     number of the first user (default 0); give each bench
                      process its own range
    -login-user U     LOGIN username; %d is replaced by the user number
                      (default: the user id)
    -login-pass P     LOGIN password; prefer GATEWAY_BENCH_PASSWORD
    -device-id ID     device_id query parameter
    -platform P       platform query parameter

MESSAGES
    -payload N        frame (echo) or content (chat) size in bytes (default 64)
    -binary           echo: binary frames instead of text
    -compression      offer permessage-deflate (no context takeover); fail a
                      connection the server does not accept it on; send every
                      message compressed and inflate the server's RSV1 frames
    -text KIND        chat: content filler after the stamp: x (default),
                      en (English prose) or zh (Chinese prose)
    -inflight K       messages outstanding per connection (default 1; in chat
                      with -msg-rate, no cap unless given)
    -msg-rate M       chat: messages per second per user (default 0: as fast
                      as -inflight allows)
    -to WHO           chat: random (another user, default) or self
    -churn R          chat: each user disconnects and reconnects R times a
                      second on average (0.1: 10% of the users every second),
                      resuming from the last inbox offset it saw; the report
                      counts acknowledged messages never received, pushes
                      out of order and duplicates (needs the gateway's inbox
                      and -procs 1)
    -rooms R          room: number of rooms (default 1)
    -publishers P     room: connections that publish (default 1)
    -rooms-per-conn K with -rooms: rooms each connection's token claims
                      (connect, idle: the cost of memberships; default 1)
    -hello            echo: wait for a first frame with code 200 before sending

MEMORY AND OUTPUT
    -server-pid LIST  comma-separated server pids, read from /proc: idle
                      samples their VmRSS before and after connecting; echo
                      and chat their CPU time, read/write syscalls (per
                      echo, per delivered message) and RSS over the
                      measurement
    -stats-url URL    idle: JSON stats endpoint fetched before and after
    -read-buffer N    per-connection read buffer in bytes (default by scenario)
    -json FILE        also write the report as JSON to FILE
    -quiet            no progress lines on stderr
    -check            print the resolved configuration and exit

LIMITS
    The soft RLIMIT_NOFILE is raised to the hard limit; more connections per
    process than it allows (less a small reserve) are refused: use -procs.
    Interrupt (SIGINT, SIGTERM) ends the run early and still prints the
    report.

EXAMPLES
    GATEWAY_JWT_SECRET=dev bench connect -conns 10000 -rate 5000
    bench idle -conns 19000 -ramp 5s -duration 60s -server-pid $(pidof gateway) \
        -src 127.0.0.2-127.0.0.20 -stats-url http://127.0.0.1:8081/debug/stats
    bench echo -target ws://127.0.0.1:9001/ -conns 100 -inflight 8 -payload 1024
    bench chat -conns 1000 -msg-rate 10 -duration 30s -json chat.json
    bench idle -conns 38000 -procs 2 -src 127.0.0.2-127.0.0.3 -ramp 10s \
        -server-pid $(pidof gateway | tr ' ' ,) -duration 30s
`

// options are the flags that are not Config fields as they stand.
type options struct {
	cfg       bench.Config
	target    string
	src       string
	auth      string
	serverPID string
	jsonFile  string
	quiet     bool
	check     bool
	procs     int
	child     string // "k/n": this process is child k of a -procs run
}

// bindFlags binds every flag onto an options value; defaults depend on the
// scenario.
func bindFlags(fs *flag.FlagSet, scenario string) *options {
	o := &options{}
	c := &o.cfg
	defAuth := string(bench.AuthQuery)
	if scenario == "echo" {
		defAuth = string(bench.AuthNone)
	}
	fs.StringVar(&o.target, "target", "127.0.0.1:8080", "")
	fs.IntVar(&c.Conns, "conns", bench.DefaultConns, "")
	fs.Float64Var(&c.Rate, "rate", 0, "")
	fs.DurationVar(&c.Ramp, "ramp", 0, "")
	fs.IntVar(&c.Concurrency, "concurrency", bench.DefaultConcurrency, "")
	fs.DurationVar(&c.Duration, "duration", bench.DefaultDuration, "")
	fs.DurationVar(&c.Timeout, "timeout", bench.DefaultTimeout, "")
	fs.StringVar(&o.src, "src", "", "")
	fs.BoolVar(&c.Insecure, "insecure", false, "")
	fs.StringVar(&o.auth, "auth", defAuth, "")
	fs.Func("jwt-secret", "", func(s string) error { c.Secret = []byte(s); return nil })
	fs.DurationVar(&c.TokenTTL, "token-ttl", bench.DefaultTokenTTL, "")
	fs.StringVar(&c.UserPrefix, "user-prefix", bench.DefaultUserPrefix, "")
	fs.IntVar(&c.FirstUser, "first-user", 0, "")
	fs.StringVar(&c.LoginUser, "login-user", "", "")
	fs.StringVar(&c.LoginPass, "login-pass", "", "")
	fs.StringVar(&c.DeviceID, "device-id", "", "")
	fs.StringVar(&c.Platform, "platform", "", "")
	fs.IntVar(&c.Payload, "payload", bench.DefaultPayload, "")
	fs.BoolVar(&c.Binary, "binary", false, "")
	fs.BoolVar(&c.Compression, "compression", false, "")
	fs.StringVar(&c.Text, "text", "", "")
	fs.IntVar(&c.Inflight, "inflight", 0, "")
	fs.Float64Var(&c.MsgRate, "msg-rate", 0, "")
	fs.Float64Var(&c.Churn, "churn", 0, "")
	fs.BoolVar(&c.Hello, "hello", false, "")
	fs.StringVar(&c.To, "to", bench.ToRandom, "")
	fs.IntVar(&c.Rooms, "rooms", 0, "")
	fs.IntVar(&c.Publishers, "publishers", 0, "")
	fs.IntVar(&c.RoomsPerConn, "rooms-per-conn", 0, "")
	fs.IntVar(&o.procs, "procs", 1, "")
	fs.StringVar(&o.child, "child", "", "")
	fs.StringVar(&o.serverPID, "server-pid", "", "")
	fs.StringVar(&c.StatsURL, "stats-url", "", "")
	fs.IntVar(&c.ReadBuffer, "read-buffer", 0, "")
	fs.StringVar(&o.jsonFile, "json", "", "")
	fs.BoolVar(&o.quiet, "quiet", false, "")
	fs.BoolVar(&o.check, "check", false, "")
	return o
}

// config validates the flags and returns the Config they describe.
func (o *options) config(progress io.Writer) (bench.Config, error) {
	c := o.cfg
	var err error
	if c.Targets, err = bench.ParseTargets(o.target); err != nil {
		return c, err
	}
	if c.Src, err = bench.ParseSrc(o.src); err != nil {
		return c, err
	}
	if o.procs < 1 {
		return c, fmt.Errorf("bench: -procs %d (want 1 or more)", o.procs)
	}
	c.Auth = bench.AuthMode(o.auth)
	if len(c.Secret) == 0 {
		c.Secret = []byte(os.Getenv(envSecret))
	}
	if c.LoginPass == "" {
		c.LoginPass = os.Getenv(envPass)
	}
	for _, f := range strings.Split(o.serverPID, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		pid, err := strconv.Atoi(f)
		if err != nil || pid <= 0 {
			return c, fmt.Errorf("bench: bad -server-pid %q", f)
		}
		c.ServerPIDs = append(c.ServerPIDs, pid)
	}
	if !o.quiet {
		c.Progress = progress
	}
	return c, nil
}

// describe prints a resolved configuration for -check, without secrets.
func describe(scenario string, c bench.Config, procs int) string {
	var b strings.Builder
	p := func(k string, v any) { fmt.Fprintf(&b, "%-12s %v\n", k, v) }
	p("scenario", scenario)
	p("targets", strings.Join(c.Targets, ","))
	p("conns", c.Conns)
	p("rate", c.Rate)
	p("ramp", c.Ramp)
	p("duration", c.Duration)
	p("timeout", c.Timeout)
	p("src", fmt.Sprintf("%d addresses", len(c.Src)))
	p("auth", c.Auth)
	p("secret set", len(c.Secret) > 0)
	p("users", fmt.Sprintf("%s%d..%s%d", c.UserPrefix, c.FirstUser, c.UserPrefix, c.FirstUser+c.Conns-1))
	p("payload", c.Payload)
	p("compression", c.Compression)
	p("inflight", c.Inflight)
	p("msg-rate", c.MsgRate)
	p("to", c.To)
	p("churn", c.Churn)
	if scenario == "room" {
		p("rooms", max(c.Rooms, 1))
		p("publishers", max(c.Publishers, 1))
	}
	p("server-pids", c.ServerPIDs)
	p("stats-url", c.StatsURL)
	p("procs", procs)
	if nofile, err := bench.RaiseNoFileLimit(); err == nil {
		p("max conns", fmt.Sprintf("%d per process (RLIMIT_NOFILE %d)", bench.MaxConns(nofile), nofile))
	}
	return b.String()
}
