package gateway

import (
	"time"

	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/protocol"
)

// MessageRate limits the messages one connection may send (PROTOCOL.md
// §3: 429, then close 4029 if it persists).
type MessageRate struct {
	// PerSecond is the sustained rate; 0 disables the limit.
	PerSecond float64
	// Burst is how many messages may come at once (default 2×PerSecond,
	// at least 1).
	Burst int
}

const (
	closeRateLimited  = 4029
	reasonRateLimited = "rate limited"
)

// msgRate is MessageRate in the units the buckets use. Read-only.
type msgRate struct {
	perNano float64 // tokens per nanosecond; 0: no limit
	burst   float64
	now     func() int64
}

func newMsgRate(r MessageRate) msgRate {
	if r.PerSecond <= 0 {
		return msgRate{}
	}
	burst := r.Burst
	if burst <= 0 {
		burst = max(1, int(2*r.PerSecond))
	}
	return msgRate{perNano: r.PerSecond / 1e9, burst: float64(burst),
		now: func() int64 { return time.Now().UnixNano() }}
}

// msgBucket is one connection's token bucket. Loop-owned.
//
// A message takes a token. Without one it is answered 429 and still takes
// one, so the bucket goes into debt: a client that keeps sending faster
// than the rate sinks below -Burst and is closed 4029, while one that
// backs off pays the debt back and is served again.
type msgBucket struct {
	tokens float64
	last   int64
}

// rateVerdict is what the bucket says about one message.
type rateVerdict uint8

const (
	rateOK rateVerdict = iota
	rateLimited
	rateClose
)

// take charges one message at time now.
func (b *msgBucket) take(r *msgRate, now int64) rateVerdict {
	if b.last == 0 {
		b.tokens, b.last = r.burst, now
	}
	b.tokens = min(r.burst, b.tokens+float64(now-b.last)*r.perNano)
	b.last = now
	b.tokens--
	switch {
	case b.tokens >= 0:
		return rateOK
	case b.tokens < -r.burst:
		return rateClose
	}
	return rateLimited
}

// admitMessage applies the message rate to s; it reports false when env
// must not be handled (it was answered 429, or the connection is being
// closed 4029). Loop only.
func (g *Gateway) admitMessage(c *engine.Conn, s *session, env *protocol.Envelope) bool {
	r := &g.ops.rate
	if r.perNano == 0 {
		return true
	}
	switch s.rateBucket().take(r, r.now()) {
	case rateLimited:
		g.ops.stats.add(c.Loop(), cRateLimited, 1)
		c.Write(errorFrame(env, errTooMany))
		return false
	case rateClose:
		g.ops.stats.add(c.Loop(), cRateClosed, 1)
		g.ops.stats.add(c.Loop(), cOut+counter(cmdIndex(env.CmdID)), -1) // no response
		c.Close(closeRateLimited, reasonRateLimited)
		return false
	}
	return true
}
