package engine

import (
	"context"

	"github.com/imgate/gateway/engine/wsframe"
	"github.com/panjf2000/gnet/v2"
)

// This file lets a handler run its own batched work on an event loop: a
// task scheduled with LoopRef.Execute may queue frames to many of the
// loop's connections with Conn.Queue, and the engine flushes each touched
// connection once when the task returns (one writev per connection per
// task, however many frames it got). The engine knows nothing of what the
// handler batches (the gateway's rooms use it).

// LoopRef is a handle on one event loop. It stays valid for the server's
// life; the zero LoopRef is not usable.
type LoopRef struct{ l *loop }

// LoopRef returns the handle of the connection's event loop. Any
// goroutine.
func (c *Conn) LoopRef() LoopRef { return LoopRef{c.loop} }

// Index is the loop's index, the value Conn.Loop returns for its
// connections. Any goroutine.
func (r LoopRef) Index() int { return r.l.stats.Index }

// Execute runs fn on the loop, then flushes every connection that fn (or
// anything before it on the loop) queued frames to with Conn.Queue. gnet
// may run tasks queued this way out of order with each other when more
// than 1024 are waiting: a handler that needs order keeps its own FIFO and
// schedules one task to drain it. Any goroutine.
func (r LoopRef) Execute(fn func()) {
	l := r.l
	_ = l.gl.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
		defer l.stats.leave(l.stats.enter())
		fn()
		l.flushPending()
		return nil
	}))
}

// EachConn calls fn for every open connection of the loop, those still in
// their handshake included (their Context is nil). fn must not close
// connections synchronously. Loop only (inside an Execute task).
func (r LoopRef) EachConn(fn func(*Conn)) {
	for _, c := range r.l.conns {
		if c.state == stateOpen {
			fn(c)
		}
	}
}

// Queue appends a complete frame to the connection's write queue without
// waking the loop; the connection is flushed when the LoopRef.Execute task
// that called Queue returns. Like Send it
// reports false when the connection is closing, closed or over
// Options.WriteQueueBytes (which closes it with 4008). The frame is held
// until written and must not be modified. Loop only.
func (c *Conn) Queue(frame []byte) bool {
	ok, first := c.enqueue(frame)
	if first {
		c.loop.pending = append(c.loop.pending, c)
	}
	return ok
}

// QueueFrame is Queue for a shared frame: the connection gets its
// compressed or plain variant, as with SendFrame. Loop only.
func (c *Conn) QueueFrame(f *wsframe.Frame) bool { return c.Queue(c.variant(f)) }

// flushPending flushes the connections Queue touched since the last call.
// Loop only.
func (l *loop) flushPending() {
	for i, c := range l.pending {
		if c.state != stateClosed {
			c.flush()
		}
		l.pending[i] = nil
	}
	l.pending = l.pending[:0]
}
