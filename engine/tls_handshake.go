package engine

import (
	"context"
	"net"
	"sync"
)

// tlsShared is what a TLS connection's loop and its handshake goroutine
// share. It is dropped when the handshake is over, with its buffers.
type tlsShared struct {
	remote net.Addr

	mu        sync.Mutex
	cond      sync.Cond // signalled when in grows or closed is set
	in        []byte    // ciphertext from the loop, not yet read
	out       []byte    // records written, not yet taken by the loop
	scheduled bool      // a Run task is on its way to the loop
	finished  bool      // the goroutine is done; err is its result
	err       error
	closed    bool // the connection is gone: Read fails

	slot bool          // the goroutine holds a place in the semaphore (goroutine only)
	keys *tls13Capture // TLS 1.3 keys (goroutine only until finished), or nil
}

// trialScratch holds the plaintext of the records a handshake goroutine
// opens to count those under the server's application key.
var trialScratch = sync.Pool{New: func() any { b := make([]byte, maxCiphertext13); return &b }}

// handshake runs crypto/tls's server handshake in its own goroutine. It
// holds a place in sem while it computes, not while it waits for the
// client, and hands the result to the loop.
func (t *tlsConn) handshake(hs *tlsShared, sem chan struct{}) {
	kl := t.c.srv.tls.keys
	if hs.keys != nil {
		kl.register(hs.keys)
	}
	sem <- struct{}{}
	hs.slot = true
	err := t.tc.Handshake()
	if hs.keys != nil {
		kl.unregister(hs.keys)
		if err != nil {
			hs.keys.wipe() // still the goroutine's: finished is not published yet
		}
	}
	if hs.slot {
		<-sem
		hs.slot = false
	}
	t.c.srv.stats.TLSHandshaking.Add(-1)
	hs.mu.Lock()
	hs.finished, hs.err = true, err
	schedule := !hs.scheduled
	hs.scheduled = true
	hs.mu.Unlock()
	if schedule {
		t.schedule()
	}
}

// read gives crypto/tls the bytes the loop handed over, a record at a
// time, waiting for more (without a place in sem) when there are none.
// Goroutine only.
func (hs *tlsShared) read(t *tlsConn, p []byte) (int, error) {
	sem := t.c.srv.tls.sem
	hs.mu.Lock()
	for len(hs.in) == 0 && !hs.closed {
		if hs.slot {
			<-sem
			hs.slot = false
		}
		hs.cond.Wait()
	}
	if len(hs.in) == 0 {
		hs.mu.Unlock()
		return 0, net.ErrClosed
	}
	n := t.cut.read(p, hs.fill)
	if len(hs.in) == 0 {
		hs.in = nil
	}
	hs.mu.Unlock()
	if !hs.slot {
		sem <- struct{}{}
		hs.slot = true
	}
	return n, nil
}

// fill copies from in into b. Under mu.
func (hs *tlsShared) fill(b []byte) int {
	n := copy(b, hs.in)
	hs.in = hs.in[n:]
	return n
}

// write queues records for the loop to send. Goroutine only.
func (hs *tlsShared) write(t *tlsConn, p []byte) {
	if hs.keys != nil {
		b := trialScratch.Get().(*[]byte)
		hs.keys.wrote(p, *b)
		trialScratch.Put(b)
	}
	hs.mu.Lock()
	hs.out = append(hs.out, p...)
	schedule := !hs.scheduled
	hs.scheduled = true
	hs.mu.Unlock()
	if schedule {
		t.schedule()
	}
}

// schedule asks the loop to run t.Run. Records and the end of the
// handshake travel in hs under one task, so they reach the socket in the
// order crypto/tls wrote them, whatever order gnet runs tasks in.
func (t *tlsConn) schedule() {
	_ = t.c.loop.gl.Execute(context.Background(), t)
}

// Run is the loop's side of the handshake: it writes the records queued
// and, once the goroutine is done, switches the connection to the loop.
func (t *tlsConn) Run(context.Context) error {
	if t.tlsCrypto == nil || t.hs == nil || t.onLoop {
		return nil
	}
	hs := t.hs
	hs.mu.Lock()
	out, finished, err := hs.out, hs.finished, hs.err
	hs.out, hs.scheduled = nil, false
	hs.mu.Unlock()
	if t.c.state == stateClosed {
		return nil
	}
	if len(out) > 0 {
		_, _ = t.c.gc.Write(out)
	}
	if finished && t.c.state != stateClosed {
		t.handshakeDone(err)
	}
	return nil
}
