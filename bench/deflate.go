package bench

import (
	"compress/flate"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"

	"github.com/gobwas/ws"
	"github.com/imgate/gateway/engine/wsframe"
)

// permessage-deflate on the client side (Config.Compression).

// appendDeflated appends one masked client frame carrying payload
// compressed (RSV1), with no context takeover, to dst.
func appendDeflated(dst []byte, op ws.OpCode, payload []byte) []byte {
	z := wsframe.Compress(nil, payload)
	n := len(z)
	dst = append(dst, bitFin|bitRsv1|byte(op))
	switch {
	case n < len16:
		dst = append(dst, bitMask|byte(n))
	case n <= 0xffff:
		dst = append(dst, bitMask|len16, byte(n>>8), byte(n))
	default:
		dst = append(dst, bitMask|len64)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	var mask [4]byte
	binary.LittleEndian.PutUint32(mask[:], rand.Uint32())
	dst = append(dst, mask[:]...)
	start := len(dst)
	dst = append(dst, z...)
	ws.Cipher(dst[start:], mask, 0)
	return dst
}

// inflater inflates the server's compressed messages of one connection. It
// is owned by the connection's goroutine.
type inflater struct {
	src zsource
	fr  io.ReadCloser
	out []byte
}

// zsource reads a message, then the 00 00 ff ff RFC 7692 has the receiver
// append and an empty final block (so the flate reader ends with EOF). It
// is an io.ByteReader, so flate does not wrap it in a bufio.Reader.
type zsource struct{ p, tail []byte }

var zend = []byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff}

func (s *zsource) Read(b []byte) (int, error) {
	if len(s.p) == 0 {
		if s.p, s.tail = s.tail, nil; len(s.p) == 0 {
			return 0, io.EOF
		}
	}
	n := copy(b, s.p)
	s.p = s.p[n:]
	return n, nil
}

func (s *zsource) ReadByte() (byte, error) {
	if len(s.p) == 0 {
		if s.p, s.tail = s.tail, nil; len(s.p) == 0 {
			return 0, io.EOF
		}
	}
	b := s.p[0]
	s.p = s.p[1:]
	return b, nil
}

// inflate returns p inflated, valid until the next call; more than max
// bytes is ErrFrameTooLarge, a corrupt stream ErrProtocol.
func (in *inflater) inflate(p []byte, max int) ([]byte, error) {
	in.src = zsource{p: p, tail: zend}
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
