package engine

import (
	"slices"
	"strconv"
)

// tls13Records is a TLS 1.3 connection's record protection once crypto/tls
// has finished the handshake and been dropped (tlsConn.rl). Loop only.
type tls13Records struct {
	in, out tls13Half
}

// wipe zeroes the traffic secrets and drops the keys. Loop only.
func (r *tls13Records) wipe() {
	r.in, r.out = tls13Half{}, tls13Half{}
}

// recResult is what reading one record asks of the connection: go on,
// close because the peer closed (close_notify) or failed (a fatal alert),
// or, 0 and above, send that alert and close.
type recResult int16

const (
	recOK         recResult = -1
	recPeerClosed recResult = -2
)

// Error says why the record layer ends the connection (readRecords logs
// it): only results other than recOK are errors.
func (r recResult) Error() string {
	if r == recPeerClosed {
		return "engine: TLS peer closed (close_notify or an alert)"
	}
	return "engine: TLS record refused, alert " + strconv.Itoa(int(r))
}

// keyUpdateNotRequested is the KeyUpdate message that answers a peer's
// request (RFC 8446 §4.6.3).
var keyUpdateNotRequested = [...]byte{typeKeyUpdate, 0, 0, 1, 0}

// decryptBatch appends to buf the application data of the complete
// records buffered, until about tlsReadBatch bytes; full reports that it
// stopped there. On a bad record it has queued the alert and ended the
// connection's TLS. Loop only.
func (t *tlsConn) decryptBatch(buf []byte) (_ []byte, res recResult, full bool) {
	buf, used, res, full := t.openRecords(buf, t.ciphertext())
	t.usedCiphertext(used)
	if res >= 0 {
		t.alert(byte(res))
	}
	return buf, res, full
}

// openRecords opens the complete records at the start of in, appending
// their application data to buf until it holds tlsReadBatch bytes (full),
// and returns how many bytes of in it used. It stops at an incomplete
// record, or at a bad one (res 0 and above: the alert to send). Loop only.
func (t *tlsConn) openRecords(buf, in []byte) (_ []byte, used int, res recResult, full bool) {
	for res = recOK; res == recOK; {
		if len(buf) >= tlsReadBatch {
			return buf, used, res, true
		}
		if len(in)-used < recordHeaderLen {
			break
		}
		h := in[used : used+recordHeaderLen]
		n := int(h[3])<<8 | int(h[4])
		if h[1] != 3 || h[2] != 3 {
			return buf, used, alertProtocolVersion, false
		}
		if n > maxCiphertext13 {
			return buf, used, alertRecordOverflow, false
		}
		if len(in)-used < recordHeaderLen+n {
			break // incomplete
		}
		rec := in[used : used+recordHeaderLen+n]
		used += len(rec)
		if h[0] != recordTypeAppData { // change_cipher_spec after the Finished, or plaintext
			return buf, used, alertUnexpectedMessage, false
		}
		buf, res = t.openRecord(buf, rec)
	}
	return buf, used, res, false
}

// openRecord decrypts one record and appends its application data, if it
// carries any, to buf; alerts and KeyUpdates are handled here. Loop only.
func (t *tlsConn) openRecord(buf, rec []byte) ([]byte, recResult) {
	r, sc := t.rl, &t.c.loop.tls
	start := len(buf)
	buf, ok := r.in.open(slices.Grow(buf, len(rec)), rec, &sc.nonce)
	if !ok {
		return buf[:start], alertBadRecordMAC
	}
	if len(buf)-start > maxInner13 {
		return buf[:start], alertRecordOverflow
	}
	content, typ := innerType(buf[start:])
	buf = buf[:start] // content stays readable until buf is appended to
	if typ == recordTypeAppData && len(content) > 0 {
		t.useless = 0
		return buf[:start+len(content)], recOK
	}
	if t.useless++; t.useless > maxUseless13 {
		return buf, alertUnexpectedMessage
	}
	switch typ {
	case recordTypeAppData:
		return buf, recOK
	case recordTypeAlert:
		switch {
		case len(content) != 2:
			return buf, alertUnexpectedMessage
		case content[1] == alertUserCanceled: // ignored, as crypto/tls does
			return buf, recOK
		default: // close_notify, or a fatal alert: close without answering
			return buf, recPeerClosed
		}
	case recordTypeHandshake:
		return buf, t.keyUpdate(content)
	default:
		return buf, alertUnexpectedMessage
	}
}

// keyUpdate handles a post-handshake handshake record: only one whole
// KeyUpdate is welcome (a KeyUpdate ends its record, RFC 8446 §5.1).
// Loop only.
func (t *tlsConn) keyUpdate(m []byte) recResult {
	r, sc := t.rl, &t.c.loop.tls
	if len(m) != len(keyUpdateNotRequested) || m[0] != typeKeyUpdate || m[1] != 0 || m[2] != 0 || m[3] != 1 {
		return alertUnexpectedMessage
	}
	switch m[4] {
	case 0: // update_not_requested
	case 1: // update_requested: answer under the old key, then switch
		sc.out = r.out.seal(slices.Grow(sc.out, recordOverhead13+len(m)), recordTypeHandshake, keyUpdateNotRequested[:], &sc.nonce)
		if r.out.update() != nil {
			return alertInternalError
		}
	default:
		return alertIllegalParameter
	}
	if r.in.update() != nil {
		return alertInternalError
	}
	return recOK
}

// alert queues a fatal alert (close_notify as a warning) and ends the
// connection's TLS: nothing is encrypted after it. Loop only.
func (t *tlsConn) alert(desc byte) {
	if t.state != tlsOpen {
		return
	}
	sc := &t.c.loop.tls
	level := byte(2)
	if desc == alertCloseNotify {
		level = 1
	}
	msg := [2]byte{level, desc}
	sc.out = t.rl.out.seal(slices.Grow(sc.out, recordOverhead13+len(msg)), recordTypeAlert, msg[:], &sc.nonce)
	t.state = tlsDone
}

// ciphertext returns the ciphertext buffered: what arrived during the
// handshake, with gnet's input appended to it, until that is used up;
// then gnet's buffer itself. Loop only.
func (t *tlsConn) ciphertext() []byte {
	gc := t.c.gc
	b, _ := gc.Peek(-1)
	if t.tlsCrypto == nil || t.early == nil {
		return b
	}
	if len(b) > 0 {
		t.early = append(t.early, b...)
		_, _ = gc.Discard(len(b))
	}
	return t.early
}

// usedCiphertext drops the first n bytes of what ciphertext returned.
// Loop only.
func (t *tlsConn) usedCiphertext(n int) {
	if n == 0 {
		return // gnet's Discard(0) would drop everything
	}
	if t.tlsCrypto == nil || t.early == nil {
		_, _ = t.c.gc.Discard(n)
		return
	}
	if t.early = t.early[n:]; len(t.early) == 0 {
		t.early = nil
		t.dropCrypto()
	}
}

// writeRecords13 encrypts queued frames in order into records of up to
// maxRecordPlaintext bytes, frames sharing records, and writes each
// tlsWriteBatch bytes with one write. Loop only.
func (t *tlsConn) writeRecords13(batch [][]byte) {
	sc := &t.c.loop.tls
	off := 0 // bytes of batch[0] already sealed
	for len(batch) > 0 && t.state == tlsOpen && t.c.state != stateClosed {
		out := sc.out
		for n := 0; len(batch) > 0 && n < tlsWriteBatch; {
			out = slices.Grow(out, maxRecordPlaintext+recordOverhead13)
			start := len(out)
			out = out[:start+recordHeaderLen]
			for k := 0; len(batch) > 0 && k < maxRecordPlaintext; {
				p := batch[0][off:]
				m := min(len(p), maxRecordPlaintext-k)
				out = append(out, p[:m]...)
				k, n, off = k+m, n+m, off+m
				if off == len(batch[0]) {
					batch, off = batch[1:], 0
				}
			}
			out = t.rl.out.finish(out, start, recordTypeAppData, &sc.nonce)
		}
		sc.out = out
		t.flushOut()
	}
}

// write13 encrypts b and writes it now. Loop only.
func (t *tlsConn) write13(b []byte) {
	t.writeRecords13([][]byte{b})
}
