package gateway

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/protocol"
)

// DrainConfig paces a graceful shutdown. Zero fields get the defaults
// named on each.
type DrainConfig struct {
	// Rate is how many sessions per second are told to reconnect and
	// closed (default 1000), so that clients do not all come back at once.
	Rate float64
	// Timeout bounds the whole drain (default 30s); whatever is still open
	// then is left to the caller (engine.Server.Stop closes it).
	Timeout time.Duration
	// RetryAfter is the middle of the retry_after_ms a session is given:
	// each gets a uniform random value in [RetryAfter/2, 3·RetryAfter/2)
	// (default 5s).
	RetryAfter time.Duration
	// Reason is the RECONNECT push's reason (default "server shutting
	// down").
	Reason string
}

func (c *DrainConfig) withDefaults() {
	if c.Rate <= 0 {
		c.Rate = 1000
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.RetryAfter <= 0 {
		c.RetryAfter = 5 * time.Second
	}
	if c.Reason == "" {
		c.Reason = "server shutting down"
	}
}

// DrainResult says how a drain went.
type DrainResult struct {
	Sessions  int           // sessions open when the drain began
	Told      int           // sessions sent RECONNECT and a 1001 close
	Remaining int64         // connections still open when Drain returned
	Elapsed   time.Duration // time the drain took
}

// Drain shuts the gateway down gracefully (PROTOCOL.md §3, RECONNECT):
// srv refuses new upgrades with 503 and Retry-After and /readyz turns 503;
// then every open session gets a 3005 RECONNECT push with a jittered
// retry_after_ms and a 1001 close, cfg.Rate sessions a second; Drain
// returns once every connection has closed, at cfg.Timeout, or when ctx
// ends. It does not stop srv.
//
// The push and the close are queued behind what the session's queue holds
// already, so a message acknowledged to its sender before the drain began
// (its ack is sent only after the message was queued to every online
// recipient) reaches those recipients before their close.
func (g *Gateway) Drain(ctx context.Context, srv *engine.Server, cfg DrainConfig) DrainResult {
	cfg.withDefaults()
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	srv.SetDraining(true)
	conns := openConns(ctx, srv)
	g.log.Info("draining", "sessions", len(conns), "rate", cfg.Rate, "timeout", cfg.Timeout)
	if need := time.Duration(float64(len(conns)) / cfg.Rate * float64(time.Second)); need > cfg.Timeout {
		g.log.Warn("drain cannot finish in time at this rate; raise -drain-rate or -drain-timeout",
			"sessions", len(conns), "needs", need.Round(time.Second), "timeout", cfg.Timeout)
	}
	res := DrainResult{Sessions: len(conns)}
	res.Told = g.tellAll(ctx, conns, &cfg, start)
	waitEmpty(ctx, srv)
	res.Remaining = srv.Stats().Upgraded.Load()
	res.Elapsed = time.Since(start)
	if res.Remaining > 0 {
		g.log.Warn("drain timed out", "remaining", res.Remaining, "elapsed", res.Elapsed.Round(time.Millisecond))
	} else {
		g.log.Info("drained", "sessions", res.Told, "elapsed", res.Elapsed.Round(time.Millisecond))
	}
	return res
}

// openConns lists the upgraded connections.
func openConns(ctx context.Context, srv *engine.Server) []*engine.Conn {
	var mu sync.Mutex
	var conns []*engine.Conn
	_ = srv.EachConn(ctx, func(c *engine.Conn) {
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	})
	mu.Lock()
	defer mu.Unlock()
	return conns
}

// tellAll sends RECONNECT and closes each connection, the i-th no earlier
// than start + i/Rate. It returns how many it reached before ctx ended.
func (g *Gateway) tellAll(ctx context.Context, conns []*engine.Conn, cfg *DrainConfig, start time.Time) int {
	interval := float64(time.Second) / cfg.Rate
	timer := time.NewTimer(0)
	defer timer.Stop()
	for i, c := range conns {
		due := start.Add(time.Duration(float64(i) * interval))
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return i
			}
		}
		g.tell(c, cfg)
	}
	return len(conns)
}

// tell queues the RECONNECT push and the 1001 close on c's loop.
func (g *Gateway) tell(c *engine.Conn, cfg *DrainConfig) {
	half := max(1, int64(cfg.RetryAfter/time.Millisecond/2))
	retry := half + rand.Int64N(2*half)
	frame := engine.FinishFrame(protocol.AppendReconnectPush(engine.NewFrameBuffer(96), cfg.Reason, retry), engine.OpText)
	reason := cfg.Reason
	c.Execute(func() {
		// One step: nothing sent to c after the RECONNECT goes out.
		if c.CloseAfter(frame, engine.CloseGoingAway, reason) {
			g.countPush(c, protocol.CmdReconnect)
		}
	})
}

// waitEmpty polls until srv has no upgraded connection or ctx ends.
func waitEmpty(ctx context.Context, srv *engine.Server) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for srv.Stats().Upgraded.Load() > 0 {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}
