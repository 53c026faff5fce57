package main

import (
	"errors"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/gateway"
)

// prodOptions are the flags for running in production: drain, overload
// protection, profiling, SO_REUSEPORT.
type prodOptions struct {
	drainRate          float64
	drainTimeout       time.Duration
	drainRetryAfter    time.Duration
	ipConnRate         float64
	ipConnBurst        int
	msgRate            float64
	msgBurst           int
	allowedOrigins     string
	reusePort, pprofOn bool
}

func (p *prodOptions) bind(fs *flag.FlagSet) {
	fs.Float64Var(&p.drainRate, "drain-rate", 1000, "on SIGTERM/SIGINT, sessions per second told to reconnect (3005) and closed (1001)")
	fs.DurationVar(&p.drainTimeout, "drain-timeout", 30*time.Second, "longest graceful drain; what is still open then is closed at once")
	fs.DurationVar(&p.drainRetryAfter, "drain-retry-after", 5*time.Second, "middle of the jittered retry_after_ms in RECONNECT pushes (each gets 0.5x to 1.5x)")
	fs.Float64Var(&p.ipConnRate, "ip-conn-rate", 0, "new connections per second per client address (IPv6: per /64), past it HTTP 429; 0 means no limit")
	fs.IntVar(&p.ipConnBurst, "ip-conn-burst", 0, "connections one address may open at once; 0 means -ip-conn-rate rounded up")
	fs.Float64Var(&p.msgRate, "msg-rate", 0, "messages per second per connection, past it 429 and, if it persists, close 4029; 0 means no limit")
	fs.IntVar(&p.msgBurst, "msg-burst", 0, "messages a connection may send at once; 0 means twice -msg-rate")
	fs.StringVar(&p.allowedOrigins, "allowed-origins", "", "comma-separated Origin values allowed to upgrade (https://app.example.com, https://*.example.com, *); others get 403; empty allows any")
	fs.BoolVar(&p.reusePort, "reuseport", false, "set SO_REUSEPORT so several gateway processes share -addr (give each its own -http-addr)")
	fs.BoolVar(&p.pprofOn, "pprof", false, "serve /debug/pprof/ on -http-addr")
}

func (p *prodOptions) check() error {
	switch {
	case p.drainRate <= 0:
		return errors.New("-drain-rate must be positive")
	case p.drainTimeout <= 0:
		return errors.New("-drain-timeout must be positive")
	case p.ipConnRate < 0 || p.msgRate < 0 || p.ipConnBurst < 0 || p.msgBurst < 0:
		return errors.New("-ip-conn-rate, -ip-conn-burst, -msg-rate and -msg-burst must not be negative")
	}
	return nil
}

func (p *prodOptions) origins() []string {
	var out []string
	for o := range strings.SplitSeq(p.allowedOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	return out
}

func (p *prodOptions) drainConfig() gateway.DrainConfig {
	return gateway.DrainConfig{Rate: p.drainRate, Timeout: p.drainTimeout, RetryAfter: p.drainRetryAfter}
}

func (p *prodOptions) messageRate() gateway.MessageRate {
	return gateway.MessageRate{PerSecond: p.msgRate, Burst: p.msgBurst}
}

// fdBudget splits the open-files limit. The engine's sockets, refused ones
// included, stay below limit - the rest, so that accept never meets
// EMFILE (gnet's engine dies on it).
type fdBudget struct {
	limit   int // RLIMIT_NOFILE, raised to the hard limit
	other   int // stdio, listeners, pollers, runtime
	http    int // HTTP API connections (a listener that waits past it)
	refused int // sockets being refused past -max-conns (engine.Admission.RejectBacklog)
	burst   int // sockets accepted but not yet counted by the engine
}

func clamp(v, lo, hi int) int { return min(max(v, lo), hi) }

// newFDBudget raises the soft open-files limit to the hard one and splits
// it for loops event loops.
func newFDBudget(loops int) fdBudget {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fdBudget{}
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	return splitFDs(int(min(lim.Cur, 1<<30)), loops)
}

// splitFDs is the budget of n open files for loops event loops. Each loop
// has its own listener and counts a socket as it accepts it, so the accept
// allowance covers a few sockets per loop in flight, with a wide margin; at
// 20,000 files the default leaves 19,336 connections.
func splitFDs(n, loops int) fdBudget {
	return fdBudget{limit: n, other: 32 + 4*loops, http: clamp(n/128, 8, 256),
		refused: clamp(n/128, 8, 256), burst: clamp(n/64, 16, 1024)}
}

// maxConns is the -max-conns to use: n, or by default what the budget
// leaves. An explicit n may eat into the burst allowance (with a warning)
// but not further.
func (b fdBudget) maxConns(n int, log *slog.Logger) int {
	if b.limit == 0 {
		return n
	}
	def := b.limit - b.other - b.http - b.refused - b.burst
	hard := def + b.burst
	switch {
	case n <= 0:
		return max(def, 1)
	case n > hard:
		log.Warn("-max-conns above what the open-files limit allows; lowered", "max_conns", hard, "nofile", b.limit)
		return max(hard, 1)
	case n > def:
		log.Warn("-max-conns leaves little headroom for accept bursts below the open-files limit", "max_conns", n, "nofile", b.limit)
	}
	return n
}

// admission is the engine's Admission from the flags, the budget and
// -ws-path.
func (p *prodOptions) admission(b fdBudget, wsPath string) engine.Admission {
	return engine.Admission{AllowedOrigins: p.origins(), IPConnRate: p.ipConnRate,
		IPConnBurst: p.ipConnBurst, RejectBacklog: b.refused, WSPath: wsPath}
}

// limitListener accepts at most n connections at a time; past that,
// Accept waits for one to close (the kernel queues the rest).
type limitListener struct {
	net.Listener
	sem chan struct{}
}

func newLimitListener(ln net.Listener, n int) net.Listener {
	if n <= 0 {
		return ln
	}
	return &limitListener{Listener: ln, sem: make(chan struct{}, n)}
}

func (l *limitListener) Accept() (net.Conn, error) {
	l.sem <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.sem }}, nil
}

type limitConn struct {
	net.Conn
	release func()
	once    sync.Once
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// opsHandler adds /debug/pprof/ to the API when asked.
func opsHandler(api http.Handler, withPprof bool) http.Handler {
	if !withPprof {
		return api
	}
	mux := http.NewServeMux()
	mux.Handle("/", api)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
