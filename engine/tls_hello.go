package engine

// TLS record and handshake constants the hello scanner needs (RFC 8446 §5.1
// and §4).
const (
	recordHeaderLen     = 5
	recordTypeHandshake = 22
	handshakeHeaderLen  = 4
	typeClientHello     = 1
	maxRecordPlaintext  = 1 << 14
	// maxHelloBytes caps the ClientHello message the loop waits for before
	// a handshake goroutine is started; a client that declares a longer one
	// is closed. Browsers send about 2 KiB (post-quantum key shares
	// included); one full record is the most any real client needs.
	maxHelloBytes = maxRecordPlaintext
)

// scanHello looks at the start of a TLS connection's input. It returns the
// number of bytes that carry the complete first handshake message, a
// ClientHello (every record it spans, headers included); 0 while more input
// is needed; or errNotHello when buf cannot be the start of a ClientHello no
// longer than maxHelloBytes. It reads no further than the records it counts.
func scanHello(buf []byte) (int, error) {
	var hdr [handshakeHeaderLen]byte
	got := 0   // handshake bytes seen so far
	need := -1 // handshake bytes of the whole message; -1 until its header is in
	for off := 0; ; {
		if len(buf)-off < recordHeaderLen {
			// Refuse what cannot become a handshake record as early as
			// its first bytes show it.
			if h := buf[off:]; len(h) > 0 && h[0] != recordTypeHandshake || len(h) > 1 && h[1] != 3 {
				return 0, errNotHello
			}
			return 0, nil
		}
		h := buf[off : off+recordHeaderLen]
		n := int(h[3])<<8 | int(h[4])
		if h[0] != recordTypeHandshake || h[1] != 3 || n == 0 || n > maxRecordPlaintext {
			return 0, errNotHello
		}
		body := buf[off+recordHeaderLen : min(len(buf), off+recordHeaderLen+n)]
		for i := 0; got+i < handshakeHeaderLen && i < len(body); i++ {
			hdr[got+i] = body[i]
		}
		got += len(body)
		if need < 0 && got >= handshakeHeaderLen {
			msgLen := int(hdr[1])<<16 | int(hdr[2])<<8 | int(hdr[3])
			if hdr[0] != typeClientHello || msgLen > maxHelloBytes {
				return 0, errNotHello
			}
			need = handshakeHeaderLen + msgLen
		}
		if len(body) < n {
			return 0, nil // the record is not complete yet
		}
		off += recordHeaderLen + n
		if need >= 0 && got >= need {
			return off, nil
		}
	}
}
