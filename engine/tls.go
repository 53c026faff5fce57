package engine

import (
	"crypto/tls"
	"errors"
	"net"
	"slices"
	"time"
)

// tlsState is where a TLS connection is in its life; loop-owned.
type tlsState uint8

const (
	tlsHello       tlsState = iota // waiting, on the loop, for a complete ClientHello
	tlsHandshaking                 // the handshake goroutine runs
	tlsOpen                        // records are decrypted and encrypted on the loop
	tlsDone                        // failed, or close_notify sent: input is dropped
)

// Sizes of the TLS data path.
const (
	// maxHandshakeInput caps the ciphertext buffered for the handshake
	// goroutine (the client's second flight and what follows it).
	maxHandshakeInput = 64 << 10
	// tlsReadBatch is how much plaintext one pass decrypts before handing
	// it to the frame parser.
	tlsReadBatch = 64 << 10
	// tlsWriteBatch is how many bytes of queued frames one crypto/tls Write
	// encrypts (records of up to 16 KiB each), written with one system call.
	tlsWriteBatch = 64 << 10
	// maxScratch is the capacity a loop's TLS buffer keeps between uses.
	maxScratch = 256 << 10
)

// tlsConn is the TLS side of a Conn from the TLS listener. It is also the
// net.Conn that crypto/tls reads ciphertext from and writes records to:
//
//   - during the handshake, which runs in its own goroutine, Read waits for
//     the bytes the loop hands over (tlsShared.in) and Write queues
//     records for the loop to send (tlsShared.out);
//   - afterwards, on the loop, Read takes what gnet has buffered and returns
//     errWouldBlock when that is used up (crypto/tls keeps a partial record
//     and carries on at the next Read), and Write appends to the loop's
//     scratch buffer, which the caller sends with one write.
//
// A TLS 1.3 connection whose keys the engine captured drops its crypto/tls
// side (tlsCrypto) once the handshake is over and what arrived during it
// is read, and protects its records itself (rl, see tls13_conn.go). What
// stays for the life of such a connection is tlsConn (64 B), tls13Records
// (176 B) and the two AEADs. Loop-owned.
type tlsConn struct {
	*tlsCrypto // from the ClientHello on; nil before, and once rl serves alone

	c       *Conn
	rl      *tls13Records // the engine's TLS 1.3 record layer, or nil
	plain   []byte        // decrypted bytes of an incomplete frame or request head
	state   tlsState
	opened  bool  // the handshake succeeded
	useless uint8 // rl: records in a row that carried no application data
}

// tlsCrypto is a TLS connection's crypto/tls side: the handshake, then the
// data path of TLS 1.2 and of anything the engine's record layer does not
// take. Loop-owned, except what tlsShared says.
type tlsCrypto struct {
	tc     *tls.Conn // nil once rl serves the connection
	hs     *tlsShared
	cut    recordCut // the adapter's position in the record stream
	early  []byte    // ciphertext that arrived during the handshake, unread
	onLoop bool      // the handshake is over: the adapter serves the loop
}

func newTLSConn(c *Conn) *tlsConn { return &tlsConn{c: c} }

// tlsScratch is a loop's buffers for its TLS connections, used by one at a
// time and empty between callbacks.
type tlsScratch struct {
	in    []byte   // plaintext just decrypted
	plain []byte   // queued frames gathered for one Write
	out   []byte   // records crypto/tls produced, to be written
	nonce [12]byte // the nonce of the record being sealed or opened
}

// onTraffic handles a TLS connection's input. Loop only.
func (t *tlsConn) onTraffic() {
	switch t.state {
	case tlsHello:
		t.readHello()
	case tlsHandshaking:
		t.feed()
	case tlsOpen:
		t.readRecords()
		t.c.flush()
	default:
		_, _ = t.c.gc.Discard(-1)
	}
}

// readHello waits until the ClientHello is complete, then starts the
// handshake goroutine with everything received so far. Garbage and
// oversized hellos are closed at once; a hello that never completes costs
// only its bytes until the handshake timeout.
func (t *tlsConn) readHello() {
	gc := t.c.gc
	buf, _ := gc.Peek(-1)
	n, err := scanHello(buf)
	if err != nil || n == 0 && len(buf) > 2*maxHelloBytes {
		t.fail()
		return
	}
	if n == 0 {
		return
	}
	hs := &tlsShared{in: reframeHello(buf[:n], buf[n:]), remote: gc.RemoteAddr()}
	hs.cond.L = &hs.mu
	hs.keys = newCapture(hs.in)
	_, _ = gc.Discard(len(buf))
	t.tlsCrypto = &tlsCrypto{hs: hs}
	t.state = tlsHandshaking
	t.tc = tls.Server(t, t.c.srv.tls.cfg)
	t.c.srv.stats.TLSHandshaking.Add(1)
	go t.handshake(hs, t.c.srv.tls.sem)
}

// feed hands the bytes received during the handshake to its goroutine.
func (t *tlsConn) feed() {
	gc := t.c.gc
	buf, _ := gc.Peek(-1)
	if len(buf) == 0 {
		return
	}
	hs := t.hs
	hs.mu.Lock()
	over := len(hs.in)+len(buf) > maxHandshakeInput
	if !over {
		hs.in = append(hs.in, buf...)
		hs.cond.Signal()
	}
	hs.mu.Unlock()
	if over {
		t.fail()
		return
	}
	_, _ = gc.Discard(len(buf))
}

// handshakeDone runs on the loop once the goroutine has finished: the
// adapter now serves the loop, and what arrived meanwhile is decrypted.
func (t *tlsConn) handshakeDone(err error) {
	c, hs := t.c, t.hs
	t.onLoop, t.hs = true, nil
	if err != nil {
		c.srv.opts.Logger.Debug("engine: TLS handshake failed", "remote", hs.remote, "err", err)
		t.fail()
		return
	}
	t.early, t.state, t.opened = hs.in, tlsOpen, true
	c.srv.stats.TLSHandshakes.Add(1)
	st := t.tc.ConnectionState() // read before the tls.Conn may go
	if st.DidResume {
		c.srv.stats.TLSResumed.Add(1)
	}
	t.takeRecords(hs, st)
	// The request head gets a handshake timeout of its own.
	c.deadline = c.srv.now() + int64(c.srv.opts.HandshakeTimeout)
	t.readRecords()
	c.flush()
}

// takeRecords moves a TLS 1.3 connection to the engine's record layer
// when its keys were captured and crypto/tls holds nothing unread: the
// adapter stopped crypto/tls at a record boundary, and crypto/tls reads
// nothing past the client's Finished. Anything else keeps crypto/tls.
// Loop only.
func (t *tlsConn) takeRecords(hs *tlsShared, st tls.ConnectionState) {
	if hs.keys == nil {
		return
	}
	if st.Version == tls.VersionTLS13 && t.cut.hdrN == 0 {
		t.rl = hs.keys.records(st.CipherSuite)
	}
	hs.keys.wipe()
	hs.keys = nil
	if t.rl != nil {
		t.tc = nil
		t.dropCrypto()
		t.c.srv.stats.TLSOwnRecords.Add(1)
	}
}

// dropCrypto lets the crypto/tls side go once the record layer serves the
// connection and nothing that arrived during the handshake is left.
// Loop only.
func (t *tlsConn) dropCrypto() {
	if t.rl != nil && t.tlsCrypto != nil && t.early == nil {
		t.tlsCrypto = nil
	}
}

// fail closes a connection whose TLS went wrong.
func (t *tlsConn) fail() {
	t.state = tlsDone
	t.c.closeNow()
}

// readRecords decrypts every complete record buffered and hands the
// plaintext to the frame parser (the request head first), keeping an
// incomplete frame for the next time. Loop only.
func (t *tlsConn) readRecords() {
	c, sc := t.c, &t.c.loop.tls
	for t.state == tlsOpen && c.state != stateClosed {
		buf := append(sc.in[:0], t.plain...)
		t.plain = nil
		buf, full, err := t.decrypt(buf)
		t.flushOut() // an alert, or the answer to a KeyUpdate
		used := c.consume(buf)
		sc.in = keepScratch(buf)
		if c.state == stateClosed {
			return
		}
		if rest := buf[used:]; len(rest) > 0 {
			t.plain = append([]byte(nil), rest...)
		}
		switch {
		case err != nil: // close_notify, the peer's alert, or ours (already queued)
			c.srv.opts.Logger.Debug("engine: TLS read", "remote", c.gc.RemoteAddr(), "err", err)
			t.state = tlsDone
			c.closeNow()
		case full:
			continue // a full batch: there may be more
		}
		return
	}
}

// decrypt appends to buf the plaintext of the complete records buffered,
// until about tlsReadBatch bytes (full: there may be more), with the
// engine's TLS 1.3 record layer or, without it, crypto/tls. An error ends
// the connection's TLS: close_notify, or a bad record whose alert is
// queued. Loop only.
func (t *tlsConn) decrypt(buf []byte) (_ []byte, full bool, err error) {
	if t.rl != nil {
		buf, res, full := t.decryptBatch(buf)
		if res != recOK {
			return buf, false, res
		}
		return buf, full, nil
	}
	for len(buf) < tlsReadBatch {
		buf = slices.Grow(buf, maxRecordPlaintext)
		n, err := t.tc.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, errWouldBlock) {
			return buf, false, nil
		}
		if err != nil {
			return buf, false, err
		}
	}
	return buf, true, nil
}

// write encrypts b and writes it now. Loop only.
func (t *tlsConn) write(b []byte) {
	if t.state != tlsOpen {
		return
	}
	if t.rl != nil {
		t.write13(b)
		return
	}
	_, _ = t.tc.Write(b)
	t.flushOut()
}

// writeBatch encrypts queued frames in order, gathering up to
// tlsWriteBatch bytes into one Write (fewer, fuller records) and sending
// the records of each with one write. Loop only.
func (t *tlsConn) writeBatch(batch [][]byte) {
	if t.rl != nil {
		t.writeRecords13(batch)
		return
	}
	sc := &t.c.loop.tls
	for len(batch) > 0 && t.state == tlsOpen && t.c.state == stateOpen {
		p := batch[0]
		if len(batch) == 1 || len(p) >= tlsWriteBatch {
			batch = batch[1:]
		} else {
			p = sc.plain[:0]
			for len(batch) > 0 && len(p)+len(batch[0]) <= tlsWriteBatch {
				p = append(p, batch[0]...)
				batch = batch[1:]
			}
			sc.plain = keepScratch(p)
		}
		_, _ = t.tc.Write(p)
		t.flushOut()
	}
}

// flushOut writes the records crypto/tls produced on the loop.
func (t *tlsConn) flushOut() {
	sc := &t.c.loop.tls
	if len(sc.out) == 0 {
		return
	}
	out := sc.out
	sc.out = keepScratch(out)
	_, _ = t.c.gc.Write(out) // gnet copies what the socket does not take
}

// closeNotify sends close_notify before the socket is closed. Loop only.
func (t *tlsConn) closeNotify() {
	if t.state != tlsOpen {
		return
	}
	if t.rl != nil {
		t.alert(alertCloseNotify)
		t.flushOut()
		return
	}
	t.state = tlsDone
	_ = t.tc.CloseWrite()
	t.flushOut()
}

// onClose releases the connection's TLS state and stops its handshake
// goroutine, if one still runs. Loop only (OnClose).
func (t *tlsConn) onClose() {
	if x := t.tlsCrypto; x != nil {
		if hs := x.hs; hs != nil && !x.onLoop {
			hs.mu.Lock()
			hs.closed, hs.in = true, nil
			hs.cond.Broadcast()
			hs.mu.Unlock()
		}
		x.early = nil
	}
	if !t.opened { // garbage, a bad hello, a failed or timed-out handshake
		t.c.srv.stats.TLSFailed.Add(1)
	}
	t.state = tlsDone
	t.plain = nil
	if t.rl != nil {
		t.rl.wipe()
	}
}

// keepScratch returns b emptied, or nil when it grew past maxScratch.
func keepScratch(b []byte) []byte {
	if cap(b) > maxScratch {
		return nil
	}
	return b[:0]
}

// Read is crypto/tls's source of ciphertext, one record at a time.
func (t *tlsConn) Read(p []byte) (int, error) {
	if !t.onLoop {
		return t.hs.read(t, p)
	}
	if n := t.cut.read(p, t.fillOnLoop); n > 0 {
		return n, nil
	}
	return 0, errWouldBlock
}

// fillOnLoop copies ciphertext into b: what arrived during the handshake
// first, then what gnet holds.
func (t *tlsConn) fillOnLoop(b []byte) int {
	if len(t.early) > 0 {
		n := copy(b, t.early)
		if t.early = t.early[n:]; len(t.early) == 0 {
			t.early = nil
		}
		return n
	}
	n, _ := t.c.gc.Read(b)
	return n
}

// Write takes the records crypto/tls produces.
func (t *tlsConn) Write(p []byte) (int, error) {
	if !t.onLoop {
		t.hs.write(t, p)
		return len(p), nil
	}
	sc := &t.c.loop.tls
	sc.out = append(sc.out, p...)
	return len(p), nil
}

// Close does nothing: the engine closes the socket itself.
func (t *tlsConn) Close() error { return nil }

// LocalAddr is unused by crypto/tls's server side.
func (t *tlsConn) LocalAddr() net.Addr { return nil }

// RemoteAddr is the client's address (for GetCertificate callbacks).
func (t *tlsConn) RemoteAddr() net.Addr {
	if !t.onLoop {
		return t.hs.remote
	}
	return t.c.gc.RemoteAddr()
}

// SetDeadline and friends do nothing: the engine's timer sweep bounds the
// handshake, and nothing blocks afterwards.
func (t *tlsConn) SetDeadline(time.Time) error      { return nil }
func (t *tlsConn) SetReadDeadline(time.Time) error  { return nil }
func (t *tlsConn) SetWriteDeadline(time.Time) error { return nil }
