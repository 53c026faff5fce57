package engine

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// connState is where a connection is in its life; loop-owned.
type connState uint8

const (
	stateHandshake connState = iota // waiting for the request head
	stateOpen                       // upgraded
	stateClosing                    // close frame or HTTP error sent; waiting for the peer
	stateClosed                     // socket closed
)

// Conn is one client connection. Methods say whether they may be called
// from any goroutine or only on the connection's loop (inside a Handler
// callback or a function passed to Execute).
type Conn struct {
	gc    gnet.Conn
	srv   *Server
	loop  *loop
	slot  int32 // index in loop.conns
	state connState
	// upgraded is set once OnOpen has run, so that OnClose runs too.
	upgraded bool
	// closeCode is the code sent or received, for OnClose; loop-owned. It
	// sits here, beside slot and state, so that Conn packs into 184 bytes
	// (the 192-byte size class, with 8 bytes to spare).
	closeCode uint16
	// tls is the TLS session of a connection from the TLS listener, nil
	// for a plain one.
	tls *tlsConn

	// Read side, loop-owned.
	skip     uint64 // bytes of an abandoned frame still to discard
	need     int    // inbound bytes the frame being received needs
	lastRead int64  // coarse clock of the last inbound frame
	lastPing int64  // coarse clock of the last server ping
	deadline int64  // handshake, handler or close deadline (0: none)
	timer    int64  // when the handler's timer fires, UnixNano (0: none); see SetTimer
	ctx      any
	// rare holds what few connections need (fragments, a handler
	// deadline's close); nil until first needed. See conn_rare.go.
	rare *connRare

	// Write side, guarded by mu.
	mu        sync.Mutex
	queue     [][]byte
	queued    int  // bytes in queue
	scheduled bool // a flush task is on its way to the loop
	// pmd is the permessage-deflate state (pmdOn, pmdBits; see deflate.go):
	// one byte in what was padding, set at the upgrade before OnOpen and
	// never changed, so any goroutine may read it. Not guarded by mu.
	pmd      byte
	closeReq uint16 // close requested with this code, 0 if not
	closed   atomic.Bool
	closeMsg string
}

// Context returns the value the handler stored with SetContext. Loop only.
func (c *Conn) Context() any { return c.ctx }

// SetContext stores a handler value with the connection. Loop only.
func (c *Conn) SetContext(v any) { c.ctx = v }

// RemoteAddr is the peer's address. Loop only.
func (c *Conn) RemoteAddr() net.Addr { return c.gc.RemoteAddr() }

// Send queues a complete frame (from FinishFrame or AppendFrame) for the
// connection. Any goroutine. The frame is held until written and must not
// be modified; one frame may be sent to many connections. It reports false
// when the connection is closing, closed, or over its write queue limit
// (which closes it with 4008).
func (c *Conn) Send(frame []byte) bool {
	ok, schedule := c.enqueue(frame)
	if schedule {
		c.schedule()
	}
	return ok
}

// Write queues a frame like Send, for use on the loop: it is flushed when
// the current callback returns, without waking the loop. Loop only.
func (c *Conn) Write(frame []byte) bool {
	ok, _ := c.enqueue(frame)
	return ok
}

// Close sends a close frame with code and reason after the frames already
// queued, waits up to Options.CloseTimeout for the peer's close frame, and
// closes the socket. Any goroutine; later calls are ignored.
func (c *Conn) Close(code uint16, reason string) {
	c.mu.Lock()
	first := c.closeReq == 0
	if first {
		c.closeReq, c.closeMsg = code, reason
	}
	schedule := first && !c.scheduled
	if schedule {
		c.scheduled = true
	}
	c.mu.Unlock()
	if schedule {
		c.schedule()
	}
}

// CloseAfter queues frame as the last frame before the close frame: it is
// Close with a final message, and no frame sent after it goes out. It
// reports whether frame was queued (false when the connection was already
// closing or closed). Any goroutine.
func (c *Conn) CloseAfter(frame []byte, code uint16, reason string) bool {
	if c.closed.Load() {
		return false
	}
	c.mu.Lock()
	if c.closeReq != 0 {
		c.mu.Unlock()
		return false
	}
	c.queue = append(c.queue, frame)
	c.queued += len(frame)
	c.closeReq, c.closeMsg = code, reason
	schedule := !c.scheduled
	c.scheduled = true
	c.mu.Unlock()
	if schedule {
		c.schedule()
	}
	return true
}

// Execute runs fn on the connection's loop, then flushes what fn wrote. It
// does nothing if the connection is closed by then. Any goroutine.
func (c *Conn) Execute(fn func()) {
	_ = c.gc.EventLoop().Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
		if c.state != stateClosed {
			fn()
			c.flush()
		}
		return nil
	}))
}

// SetDeadline closes the connection with code and reason if ClearDeadline
// is not called within d. It replaces an earlier deadline, and does nothing
// once the connection is closing. Loop only.
func (c *Conn) SetDeadline(d time.Duration, code uint16, reason string) {
	if c.state != stateOpen {
		return // the close timeout stands
	}
	c.deadline = c.srv.now() + int64(d)
	r := c.rareState()
	r.dlCode, r.dlReason = code, reason
}

// ClearDeadline cancels SetDeadline. Loop only.
func (c *Conn) ClearDeadline() {
	if c.state == stateOpen {
		c.deadline = 0
	}
}

// enqueue appends frame to the queue. schedule reports whether the caller
// must schedule a flush task.
func (c *Conn) enqueue(frame []byte) (ok, schedule bool) {
	if c.closed.Load() {
		return false, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeReq != 0 {
		return false, false
	}
	if c.queued+len(frame) > c.srv.opts.WriteQueueBytes {
		c.queue, c.queued = nil, 0
		c.closeReq, c.closeMsg = CloseSlowConsumer, "slow consumer"
	} else {
		c.queue = append(c.queue, frame)
		c.queued += len(frame)
		ok = true
	}
	if !c.scheduled {
		c.scheduled = true
		schedule = true
	}
	return ok, schedule
}

// schedule asks the loop to flush the queue.
func (c *Conn) schedule() {
	_ = c.gc.EventLoop().Execute(context.Background(), c)
}

// Run is the flush task scheduled by Send; it runs on the loop.
func (c *Conn) Run(context.Context) error {
	defer c.loop.stats.leave(c.loop.stats.enter())
	if c.state != stateClosed {
		c.flush()
	}
	return nil
}

// maxIovec bounds one writev (the kernel refuses more than IOV_MAX = 1024).
const maxIovec = 512

// flush writes the queued frames with one writev, then a requested close
// frame. Loop only.
func (c *Conn) flush() {
	c.mu.Lock()
	batch, n := c.queue, c.queued
	c.queue, c.queued, c.scheduled = nil, 0, false
	code, msg := c.closeReq, c.closeMsg
	c.mu.Unlock()
	if c.state != stateOpen {
		return
	}
	if n > 0 && c.gc.OutboundBuffered()+n > c.srv.opts.WriteQueueBytes {
		batch, code, msg = nil, CloseSlowConsumer, "slow consumer"
	}
	c.loop.stats.BytesOut.Add(int64(n))
	if c.tls != nil {
		c.tls.writeBatch(batch) // encrypted in order, one write
		batch = nil
	}
	for len(batch) > 0 {
		k := min(len(batch), maxIovec)
		if _, err := c.gc.Writev(batch[:k]); err != nil || c.state == stateClosed {
			return // gnet closed the connection; OnClose has run
		}
		batch = batch[k:]
	}
	if code != 0 && c.state == stateOpen {
		c.startClose(code, msg)
	}
}

// startClose writes a close frame and waits for the peer's. Loop only.
func (c *Conn) startClose(code uint16, reason string) {
	if code == CloseSlowConsumer {
		c.srv.stats.SlowConsumers.Add(1)
	}
	c.loop.stats.countClose(code)
	c.closeCode = code
	c.mu.Lock()
	c.closeReq, c.queue, c.queued = code, nil, 0
	c.mu.Unlock()
	c.state = stateClosing
	c.deadline = c.srv.now() + int64(c.srv.opts.CloseTimeout)
	c.writeRaw(closeFrame(code, reason))
}

// writeRaw writes b to the socket now, through TLS on a TLS connection.
// Loop only.
func (c *Conn) writeRaw(b []byte) {
	if c.tls != nil {
		c.tls.write(b)
		return
	}
	_, _ = c.gc.Write(b)
}

// closeNow closes the socket. Loop only.
func (c *Conn) closeNow() {
	if c.state != stateClosed {
		if c.tls != nil {
			c.tls.closeNotify()
		}
		_ = c.gc.Close()
	}
}
