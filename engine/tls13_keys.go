package engine

import (
	"bytes"
	"encoding/hex"
	"io"
	"sync"
)

// How a TLS 1.3 connection learns its traffic secrets from crypto/tls:
// Config.KeyLogWriter is the only public place crypto/tls hands them out.
// The engine's Config writes its key log to a tlsKeyLog, which routes each
// line by the client random it carries to the handshake that registered
// it, then passes it on to the user's own KeyLogWriter, if any.

// Key log labels of the application traffic secrets (NSS key log format).
const (
	labelClientTraffic = "CLIENT_TRAFFIC_SECRET_0"
	labelServerTraffic = "SERVER_TRAFFIC_SECRET_0"
)

// tlsKeyLog routes crypto/tls's key log lines to the handshakes in flight.
// Any goroutine (crypto/tls calls Write on a handshake goroutine, under its
// own global key log mutex).
type tlsKeyLog struct {
	mu    sync.Mutex
	conns map[[32]byte]keyLogEntry
	next  io.Writer // the user's KeyLogWriter
}

// keyLogEntry is the handshakes in flight with one client random: n of
// them, and cp when n is 1.
type keyLogEntry struct {
	cp *tls13Capture
	n  int
}

func newTLSKeyLog(next io.Writer) *tlsKeyLog {
	return &tlsKeyLog{conns: make(map[[32]byte]keyLogEntry), next: next}
}

// register makes cp the receiver of the lines for its client random.
// Handshakes that share a random (a replayed ClientHello) get nothing
// while more than one of them is in flight: they keep crypto/tls.
// Handshake goroutine.
func (k *tlsKeyLog) register(cp *tls13Capture) {
	k.mu.Lock()
	e := k.conns[cp.random]
	if e.n++; e.n == 1 {
		e.cp = cp
	} else {
		e.cp = nil
	}
	k.conns[cp.random] = e
	k.mu.Unlock()
}

// unregister forgets cp's random. Handshake goroutine.
func (k *tlsKeyLog) unregister(cp *tls13Capture) {
	k.mu.Lock()
	e := k.conns[cp.random]
	if e.n--; e.n <= 0 {
		delete(k.conns, cp.random)
	} else {
		e.cp = nil // still shared with one that saw the others: poisoned for good
		k.conns[cp.random] = e
	}
	k.mu.Unlock()
}

// Write takes one key log line, "LABEL <client random> <secret>\n". It
// never logs the line; it passes it on to the user's writer unchanged.
func (k *tlsKeyLog) Write(line []byte) (int, error) {
	k.deliver(line)
	if k.next != nil {
		return k.next.Write(line)
	}
	return len(line), nil
}

// deliver hands an application traffic secret to the handshake it
// belongs to. The capture is touched here on its own handshake goroutine:
// crypto/tls writes the key log from inside Handshake.
func (k *tlsKeyLog) deliver(line []byte) {
	label, rest, ok := bytes.Cut(bytes.TrimSuffix(line, []byte("\n")), []byte(" "))
	if !ok {
		return
	}
	var server bool
	switch string(label) {
	case labelClientTraffic:
	case labelServerTraffic:
		server = true
	default:
		return
	}
	rnd, sec, ok := bytes.Cut(rest, []byte(" "))
	var random [32]byte
	if !ok || len(rnd) != 2*len(random) || len(sec) > 2*48 || len(sec) == 0 {
		return
	}
	if _, err := hex.Decode(random[:], rnd); err != nil {
		return
	}
	k.mu.Lock()
	cp := k.conns[random].cp
	k.mu.Unlock()
	if cp != nil {
		cp.setSecret(server, sec)
	}
}

// tls13Capture is what a handshake goroutine gathers to hand its TLS 1.3
// connection over to the engine's record layer: the suite (from the
// ServerHello it writes), both application traffic secrets (from the key
// log), and how many records it has already written under the server's
// application key (session tickets sent in the first flight, or after the
// client's Finished), found by opening the records it writes with that
// key. Handshake goroutine only, until the loop takes it over once the
// goroutine has finished.
type tls13Capture struct {
	random [32]byte // the ClientHello's random
	suite  *tls13Suite
	client [48]byte
	server [48]byte
	secLen [2]int    // of client and server
	out    tls13Half // the server's application keys, once known
	outSet bool
	broken bool     // something unexpected: the connection keeps crypto/tls
	nb     [12]byte // the nonce of trial opens
}

// newCapture returns a capture for the ClientHello at the start of in (the
// re-framed hello: its first record carries the random), or nil when in
// is too short to hold one.
func newCapture(in []byte) *tls13Capture {
	// record header, handshake header, legacy_version, then the random
	const at = recordHeaderLen + handshakeHeaderLen + 2
	if len(in) < at+32 {
		return nil
	}
	cp := &tls13Capture{}
	copy(cp.random[:], in[at:at+32])
	return cp
}

// setSecret stores a secret given in hex. Handshake goroutine.
func (cp *tls13Capture) setSecret(server bool, hexSecret []byte) {
	dst, i := &cp.client, 0
	if server {
		dst, i = &cp.server, 1
	}
	n, err := hex.Decode(dst[:], hexSecret)
	if err != nil {
		clear(dst[:])
		cp.broken = true
		return
	}
	cp.secLen[i] = n
}

// wrote looks at the records crypto/tls writes: the ServerHello names the
// suite; records written under the server's application key advance its
// sequence number. Handshake goroutine.
func (cp *tls13Capture) wrote(p []byte, scratch []byte) {
	if cp.broken {
		return
	}
	// crypto/tls writes whole records; anything else is a surprise.
	for off := 0; off < len(p); {
		if len(p)-off < recordHeaderLen {
			cp.broken = true
			return
		}
		n := int(p[off+3])<<8 | int(p[off+4])
		end := off + recordHeaderLen + n
		if end > len(p) {
			cp.broken = true
			return
		}
		cp.record(p[off:end], scratch)
		off = end
	}
}

// record looks at one record crypto/tls wrote.
func (cp *tls13Capture) record(rec, scratch []byte) {
	body := rec[recordHeaderLen:]
	switch rec[0] {
	case recordTypeHandshake: // plaintext: the ServerHello (or a HelloRetryRequest)
		if len(body) > 0 && body[0] == 2 {
			cp.suite = serverHelloSuite(body)
		}
	case recordTypeAppData:
		if !cp.keysReady() {
			return
		}
		if _, ok := cp.out.open(scratch[:0], rec, &cp.nb); !ok && cp.out.seq > 0 {
			// a record under another key after one under the application key
			cp.broken = true
		}
	}
}

// keysReady derives the server's application keys once the suite and the
// server secret are both known. Handshake goroutine.
func (cp *tls13Capture) keysReady() bool {
	if cp.outSet {
		return true
	}
	if cp.suite == nil || cp.secLen[1] != cp.suite.secretLen() {
		return false
	}
	if err := cp.out.setSecret(cp.suite, cp.server[:cp.secLen[1]]); err != nil {
		cp.broken = true
		return false
	}
	cp.outSet = true
	return true
}

// serverHelloSuite returns the suite a ServerHello message (handshake
// header included) selects, or nil when it is not one of tls13Suites.
func serverHelloSuite(m []byte) *tls13Suite {
	// handshake header, legacy_version, random, then the session id
	const sid = handshakeHeaderLen + 2 + 32
	if len(m) < sid+1 {
		return nil
	}
	at := sid + 1 + int(m[sid])
	if len(m) < at+2 {
		return nil
	}
	return suite13(uint16(m[at])<<8 | uint16(m[at+1]))
}

// records returns the record layer for a TLS 1.3 handshake that ended
// with suite id, or nil when the capture cannot serve it. It zeroes the
// captured secrets. Loop only, after the handshake goroutine finished.
func (cp *tls13Capture) records(id uint16) *tls13Records {
	defer cp.wipe()
	s := suite13(id)
	if cp.broken || s == nil || cp.suite != s || cp.secLen[0] != s.secretLen() || !cp.keysReady() {
		return nil
	}
	r := &tls13Records{out: cp.out}
	if err := r.in.setSecret(s, cp.client[:cp.secLen[0]]); err != nil {
		return nil
	}
	return r
}

// wipe zeroes the captured secrets.
func (cp *tls13Capture) wipe() {
	clear(cp.client[:])
	clear(cp.server[:])
	cp.out = tls13Half{}
}
