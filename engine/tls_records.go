package engine

// helloFragment is the most handshake bytes one record carries when the loop
// re-frames a ClientHello for crypto/tls: a record of 5+512 bytes fits the
// 576-byte input buffer crypto/tls starts with, which then never grows for
// the hello (a post-quantum hello in one record would grow it to 2.7 KiB,
// kept for the life of the connection).
const helloFragment = 512

// recordCut keeps each Read the adapter answers within one TLS record.
// crypto/tls reads greedily into an input buffer that never shrinks; fed a
// record at a time, that buffer stays the size of the largest record
// instead of the largest burst that was ever buffered.
type recordCut struct {
	hdrN int // bytes of the current record's header delivered
	left int // bytes of the current record's body still to deliver
}

// read fills p from fill (which returns how many bytes it copied, 0 when
// it has none) without passing the end of the current record, and returns
// how many bytes it delivered.
func (r *recordCut) read(p []byte, fill func([]byte) int) int {
	n := 0
	for n < len(p) {
		want := r.left
		if r.hdrN < recordHeaderLen {
			want = recordHeaderLen - r.hdrN
		}
		k := fill(p[n : n+min(len(p)-n, want)])
		if k == 0 {
			break
		}
		if r.hdrN < recordHeaderLen {
			for _, b := range p[n : n+k] {
				if r.hdrN >= 3 { // the length, big-endian
					r.left = r.left<<8 | int(b)
				}
				r.hdrN++
			}
		} else {
			r.left -= k
		}
		n += k
		if r.hdrN == recordHeaderLen && r.left == 0 { // the record is complete
			r.hdrN = 0
			break
		}
	}
	return n
}

// reframeHello returns the input that starts a TLS connection with the
// ClientHello, whose records are hello, carried in records of at most
// helloFragment bytes (RFC 8446 §5.1 lets a handshake message span records;
// the handshake transcript covers messages, not records), followed by rest.
func reframeHello(hello, rest []byte) []byte {
	var payload []byte
	for off := 0; off+recordHeaderLen <= len(hello); {
		n := int(hello[off+3])<<8 | int(hello[off+4])
		payload = append(payload, hello[off+recordHeaderLen:off+recordHeaderLen+n]...)
		off += recordHeaderLen + n
	}
	out := make([]byte, 0, len(payload)+(len(payload)/helloFragment+1)*recordHeaderLen+len(rest))
	for len(payload) > 0 {
		k := min(len(payload), helloFragment)
		out = append(out, hello[0], hello[1], hello[2], byte(k>>8), byte(k))
		out = append(out, payload[:k]...)
		payload = payload[k:]
	}
	return append(out, rest...)
}
