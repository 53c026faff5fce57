package bench

import (
	"bytes"
	"errors"
	"io"

	"github.com/gobwas/ws"
	"github.com/klauspost/compress/flate"
)

// permessage-deflate on the client side (Config.Compression).

// appendDeflated appends one masked client frame carrying payload
// compressed (RSV1), with no context takeover, to dst. (bench compresses
// with klauspost/compress itself: it imports nothing of the gateway.)
func appendDeflated(dst []byte, op ws.OpCode, payload []byte) []byte {
	var zb bytes.Buffer
	// Stateless: no 480 KB writer per connection; no context takeover
	// needs none. Not final, then the sync flush's 00 00 ff ff removed.
	_ = flate.StatelessDeflate(&zb, payload, false, nil)
	z := bytes.TrimSuffix(zb.Bytes(), zend[:4])
	return appendMasked(dst, bitFin|bitRsv1|byte(op), z)
}

// inflater inflates the server's compressed messages of one connection. It
// is owned by the connection's goroutine.
type inflater struct {
	zin []byte       // the message and zend
	src bytes.Reader // over zin (the flate reader's fast path)
	fr  io.ReadCloser
	out []byte
}

// zend is the 00 00 ff ff RFC 7692 has the receiver append, then an empty
// final block, so that the flate reader ends with EOF.
var zend = []byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff}

// inflate returns p inflated, valid until the next call; more than max
// bytes is ErrFrameTooLarge, a corrupt stream ErrProtocol.
func (in *inflater) inflate(p []byte, max int) ([]byte, error) {
	in.zin = append(append(in.zin[:0], p...), zend...)
	in.src.Reset(in.zin)
	if in.fr == nil {
		in.fr = flate.NewReader(&in.src)
	} else if err := in.fr.(flate.Resetter).Reset(&in.src, nil); err != nil {
		return nil, err
	}
	out := in.out[:0]
	for {
		if len(out) == cap(out) {
			if len(out) > max {
				return nil, ErrFrameTooLarge
			}
			out = append(out, 0)[:len(out)]
		}
		n, err := in.fr.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, ErrProtocol
		}
	}
	in.out = out
	if len(out) > max {
		return nil, ErrFrameTooLarge
	}
	return out, nil
}
