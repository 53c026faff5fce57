package bench

import (
	"context"
	"encoding/hex"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
)

// Echo payloads start with the send time: 16 hex digits of nanoseconds
// since the run began, so that any echo server's answer carries it back.
const stampLen = 16

// Echo connects like Connect (waiting for the first frame only when
// cfg.Hello is set), then keeps cfg.Inflight frames of cfg.Payload bytes in
// flight on every connection for cfg.Duration, sending a new frame for each
// echo. It reports echoes per second and the round-trip time of each frame.
// Payloads shorter than 16 bytes carry no send time: then only throughput is
// measured.
func Echo(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.ReadBuffer == 0 {
		per := pick(cfg.Payload, DefaultPayload) + maxHeader
		cfg.ReadBuffer = min(max(per*pick(cfg.Inflight, 1), 4096), 64<<10)
	}
	if cfg.Auth == "" {
		cfg.Auth = AuthNone
	}
	cfg, err := cfg.Resolve()
	if err != nil {
		return nil, err
	}
	e := &echoRun{cfg: cfg, epoch: time.Now(), op: ws.OpText}
	if cfg.Binary {
		e.op = ws.OpBinary
	}
	e.r = newRunner("echo", cfg, cfg.Hello)
	e.r.connectAll(ctx, e.body)

	var held time.Duration
	if e.r.sync(ctx, StageConnected) {
		e.r.markLoad(0)
		e.started.Store(true)
		for _, c := range e.r.openConns() {
			e.kick(c)
		}
		held = e.r.hold(ctx, cfg.Duration)
	}
	e.stopped.Store(true)
	e.r.markLoad(1)
	e.r.sync(ctx, StageHeld)
	e.r.closeAll()
	msgs := e.r.msgsIn.Load() // echoes taken before the stop was seen

	rep := e.r.report()
	rep.HoldSeconds = held.Seconds()
	rep.Echo = &EchoReport{
		Payload: cfg.Payload, Binary: cfg.Binary, Inflight: cfg.Inflight,
		Messages: msgs, Unexpected: e.unexpected.Load(),
	}
	if s := held.Seconds(); s > 0 {
		rep.Echo.Rate = float64(msgs) / s
	}
	rep.addLatency(LatencyRTT, &e.rtt)
	rep.Server = e.r.serverLoad(msgs)
	rep.Client = e.r.clientLoad(msgs)
	return rep, nil
}

// echoRun is the state of one echo run. Safe for concurrent use.
type echoRun struct {
	cfg        Config
	r          *runner
	epoch      time.Time
	op         ws.OpCode
	started    atomic.Bool
	stopped    atomic.Bool
	unexpected atomic.Int64
	rtt        recorder
}

// kick writes the first cfg.Inflight frames of c.
func (e *echoRun) kick(c *conn) {
	var out []byte
	for range e.cfg.Inflight {
		out = e.appendFrame(out)
	}
	if c.writeRaw(out) == nil {
		e.r.msgsOut.Add(int64(e.cfg.Inflight))
	}
}

// appendFrame appends one stamped frame.
func (e *echoRun) appendFrame(out []byte) []byte {
	p := make([]byte, e.cfg.Payload)
	e.stamp(p)
	return appendFrame(out, e.op, p)
}

// stamp fills p with the send time and filler.
func (e *echoRun) stamp(p []byte) {
	for i := range p {
		p[i] = 'x'
	}
	if len(p) >= stampLen {
		var b [8]byte
		ns := uint64(time.Since(e.epoch))
		for i := range b {
			b[i] = byte(ns >> (56 - 8*i))
		}
		hex.Encode(p[:stampLen], b[:])
	}
}

// sentAt reads the send time of an echoed payload.
func (e *echoRun) sentAt(p []byte) (time.Duration, bool) {
	if len(p) < stampLen {
		return 0, false
	}
	var b [8]byte
	if _, err := hex.Decode(b[:], p[:stampLen]); err != nil {
		return 0, false
	}
	var ns uint64
	for _, x := range b {
		ns = ns<<8 | uint64(x)
	}
	return time.Duration(ns), true
}

// body reads echoes; for each one it sends a new frame, writing all the
// frames owed for what one read brought in at once (before the read that
// would block).
func (e *echoRun) body(c *conn) error {
	payload := make([]byte, e.cfg.Payload)
	var out []byte
	pending := int64(0)
	for {
		if pending > 0 && c.fr.r.Buffered() == 0 {
			if err := c.writeRaw(out); err != nil {
				return err
			}
			e.r.msgsOut.Add(pending)
			out, pending = out[:0], 0
		}
		op, p, err := c.readData()
		if err != nil {
			return err
		}
		if !e.started.Load() || op != e.op || len(p) != e.cfg.Payload {
			e.unexpected.Add(1)
			continue
		}
		if e.stopped.Load() {
			continue
		}
		if sent, ok := e.sentAt(p); ok {
			e.rtt.record(c.id, time.Since(e.epoch)-sent)
		} else if len(p) >= stampLen {
			e.unexpected.Add(1)
			continue
		}
		e.r.msgsIn.Add(1)
		e.stamp(payload)
		out = appendFrame(out, e.op, payload)
		pending++
	}
}
