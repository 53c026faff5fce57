package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// LoopStats are one event loop's counters. The loop writes them (each has
// a single writer, so the adds do not contend); any goroutine may read
// them.
type LoopStats struct {
	// Index is the loop's number, 0 for the first loop that got a
	// connection.
	Index int
	// Conns is the loop's open sockets, handshaking ones included.
	Conns atomic.Int64
	// BytesIn and BytesOut count the bytes read from and written to the
	// loop's sockets (HTTP heads and responses included).
	BytesIn, BytesOut atomic.Int64
	// BusyNanos is the time the loop spent in the engine's callbacks and
	// tasks (reading, the handler, flushing, timers), in nanoseconds. It
	// is estimated from one callback in busySample, so that the clock is
	// not read twice on every callback.
	BusyNanos atomic.Int64
	closes    [numCloseSlots]atomic.Int64
	calls     uint32 // callbacks seen; the loop's own
	_         [64]byte
}

// busySample: one callback in busySample is timed (a power of two).
const busySample = 8

// Close codes are counted in slots: 1000–1015, 4000–4099, and the rest.
const (
	closeSlots4k  = 16
	closeSlotElse = closeSlots4k + 100
	numCloseSlots = closeSlotElse + 1
)

func closeSlot(code uint16) int {
	switch {
	case code >= 1000 && code < 1016:
		return int(code - 1000)
	case code >= 4000 && code < 4100:
		return closeSlots4k + int(code-4000)
	}
	return closeSlotElse
}

// countClose records a close frame the server initiated.
func (ls *LoopStats) countClose(code uint16) { ls.closes[closeSlot(code)].Add(1) }

// enter starts a callback; it returns the time to hand to leave, zero
// when the callback is not sampled. Loop only.
func (ls *LoopStats) enter() (start time.Time) {
	if ls.calls++; ls.calls&(busySample-1) == 0 {
		start = time.Now()
	}
	return start
}

// leave ends a callback that enter started. Loop only.
func (ls *LoopStats) leave(start time.Time) {
	if !start.IsZero() {
		ls.BusyNanos.Add(busySample * int64(time.Since(start)))
	}
}

// CloseCodes calls fn for every close code the server has initiated on
// this loop, with its count; code 0 stands for codes outside 1000–1015
// and 4000–4099.
func (ls *LoopStats) CloseCodes(fn func(code uint16, n int64)) {
	for i := range ls.closes {
		n := ls.closes[i].Load()
		if n == 0 {
			continue
		}
		switch {
		case i == closeSlotElse:
			fn(0, n)
		case i >= closeSlots4k:
			fn(uint16(4000+i-closeSlots4k), n)
		default:
			fn(uint16(1000+i), n)
		}
	}
}

// LoopStats returns the counters of every loop that has had a connection,
// by Index. Any goroutine.
func (s *Server) LoopStats() []*LoopStats {
	s.loopsMu.Lock()
	defer s.loopsMu.Unlock()
	out := make([]*LoopStats, len(s.loops))
	for _, l := range s.loops {
		out[l.stats.Index] = &l.stats
	}
	return out
}

// EachConn runs fn for every upgraded connection that is not closing, on
// the connection's loop, and returns once every loop has done so or ctx
// ended. fn must not block. Any goroutine but a loop.
func (s *Server) EachConn(ctx context.Context, fn func(c *Conn)) error {
	return s.onEveryLoop(ctx, func(l *loop) {
		for _, c := range l.conns {
			if c.state == stateOpen {
				fn(c)
			}
		}
	})
}

// LoopDelays measures how long a task waits for each loop to run it (the
// delay a Send's flush or a timer sees), by Index. It returns when every
// loop has answered or ctx ended; a loop that did not answer shows ctx's
// wait. Any goroutine but a loop.
func (s *Server) LoopDelays(ctx context.Context) []time.Duration {
	start := time.Now()
	loops := s.LoopStats()
	out := make([]atomic.Int64, len(loops))
	_ = s.onEveryLoop(ctx, func(l *loop) {
		if l.stats.Index < len(out) {
			out[l.stats.Index].Store(int64(time.Since(start)))
		}
	})
	d := make([]time.Duration, len(out))
	for i := range out {
		if d[i] = time.Duration(out[i].Load()); d[i] == 0 {
			d[i] = time.Since(start)
		}
	}
	return d
}

// onEveryLoop runs fn on every loop and waits for all, or for ctx.
func (s *Server) onEveryLoop(ctx context.Context, fn func(l *loop)) error {
	s.loopsMu.Lock()
	var wg sync.WaitGroup
	for gl, l := range s.loops {
		wg.Add(1)
		task := loopTask(func() { fn(l); wg.Done() })
		if err := gl.Execute(context.Background(), task); err != nil {
			wg.Done()
		}
	}
	s.loopsMu.Unlock()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// loopTask adapts a func to gnet.Runnable.
type loopTask func()

func (f loopTask) Run(context.Context) error { f(); return nil }

// Loop is the Index of the connection's loop. Any goroutine.
func (c *Conn) Loop() int { return c.loop.stats.Index }

// CoarseNow is the engine's clock (UnixNano), advanced every
// Options.TimerResolution: cheap to read, for rate limits and deadlines
// that tolerate its granularity. Any goroutine.
func (c *Conn) CoarseNow() int64 { return c.srv.now() }
