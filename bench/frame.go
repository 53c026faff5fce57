package bench

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"

	"github.com/gobwas/ws"
)

// Frame header bits (RFC 6455 section 5.2).
const (
	bitFin    = 0x80
	bitsRsv   = 0x70
	bitRsv1   = 0x40
	bitsOp    = 0x0f
	bitMask   = 0x80
	bitsLen   = 0x7f
	len16     = 126
	len64     = 127
	maxHeader = 14
)

// errShort means a header is incomplete: more bytes are needed.
var errShort = errors.New("bench: short header")

// frameHeader is a parsed frame header.
type frameHeader struct {
	fin    bool
	rsv1   bool // permessage-deflate: the message is compressed
	op     ws.OpCode
	masked bool
	mask   [4]byte
	length int64
}

// headerLen returns the header size announced by its first two bytes.
func headerLen(b0, b1 byte) int {
	n := 2
	switch b1 & bitsLen {
	case len16:
		n += 2
	case len64:
		n += 8
	}
	if b1&bitMask != 0 {
		n += 4
	}
	return n
}

// parseHeader parses the frame header at the start of b. It returns errShort
// when b holds only part of it, and ErrProtocol for reserved bits, unknown
// opcodes, bad control frames and non-minimal or negative lengths.
func parseHeader(b []byte) (h frameHeader, n int, err error) {
	return parseHeaderExt(b, false)
}

// parseHeaderExt is parseHeader that, with rsv1, accepts RSV1 (the
// permessage-deflate bit) on the first frame of a data message.
func parseHeaderExt(b []byte, rsv1 bool) (h frameHeader, n int, err error) {
	if len(b) < 2 {
		return h, 0, errShort
	}
	n = headerLen(b[0], b[1])
	if len(b) < n {
		return h, 0, errShort
	}
	h.fin = b[0]&bitFin != 0
	h.op = ws.OpCode(b[0] & bitsOp)
	h.masked = b[1]&bitMask != 0
	h.rsv1 = b[0]&bitRsv1 != 0
	if h.rsv1 && (!rsv1 || h.op.IsControl() || h.op == ws.OpContinuation) {
		return h, n, ErrProtocol
	}
	if b[0]&bitsRsv&^bitRsv1 != 0 || h.op.IsReserved() {
		return h, n, ErrProtocol
	}
	p := 2
	switch l := b[1] & bitsLen; l {
	case len16:
		h.length = int64(binary.BigEndian.Uint16(b[2:4]))
		p = 4
		if h.length < len16 {
			return h, n, ErrProtocol
		}
	case len64:
		u := binary.BigEndian.Uint64(b[2:10])
		p = 10
		if u>>63 != 0 || u <= 0xffff {
			return h, n, ErrProtocol
		}
		h.length = int64(u)
	default:
		h.length = int64(l)
	}
	if h.op.IsControl() && (!h.fin || h.length > 125) {
		return h, n, ErrProtocol
	}
	if h.masked {
		copy(h.mask[:], b[p:p+4])
	}
	return h, n, nil
}

// appendFrame appends one complete client frame (FIN set, masked with a
// fresh random key as RFC 6455 requires of clients) to dst, so that a frame
// always goes out in one write.
func appendFrame(dst []byte, op ws.OpCode, payload []byte) []byte {
	return appendMasked(dst, bitFin|byte(op), payload)
}

// appendMasked appends one client frame with first header byte b0 (FIN,
// RSV bits and opcode), payload's length and a fresh random mask, then
// payload masked, to dst.
func appendMasked(dst []byte, b0 byte, payload []byte) []byte {
	n := len(payload)
	dst = append(dst, b0)
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
	dst = append(dst, payload...)
	ws.Cipher(dst[start:], mask, 0)
	return dst
}

// frameReader reads frames from a buffered connection. It is owned by one
// goroutine.
type frameReader struct {
	r   *bufio.Reader
	max int    // largest frame or reassembled message accepted
	buf []byte // payloads that do not fit the bufio buffer
	msg []byte // reassembly of fragmented messages

	inFrag bool      // inside a fragmented message
	fragOp ws.OpCode // opcode of its first frame

	deflate bool     // permessage-deflate negotiated: RSV1 messages are inflated
	fragZ   bool     // the fragmented message is compressed
	infl    inflater // set up on the first compressed message
}

// next reads one frame. The payload is unmasked and is only valid until the
// next call.
func (fr *frameReader) next() (frameHeader, []byte, error) {
	b, err := fr.r.Peek(2)
	if err != nil {
		return frameHeader{}, nil, err
	}
	b, err = fr.r.Peek(headerLen(b[0], b[1]))
	if err != nil {
		return frameHeader{}, nil, err
	}
	h, n, err := parseHeaderExt(b, fr.deflate)
	if err != nil {
		return h, nil, err
	}
	_, _ = fr.r.Discard(n)
	if h.length > int64(fr.max) {
		return h, nil, ErrFrameTooLarge
	}
	size := int(h.length)
	var p []byte
	if size <= fr.r.Size() {
		// Peek's slice stays valid until the next read from fr.r.
		if p, err = fr.r.Peek(size); err != nil {
			return h, nil, err
		}
		_, _ = fr.r.Discard(size)
	} else {
		if cap(fr.buf) < size {
			fr.buf = make([]byte, size)
		}
		p = fr.buf[:size]
		if _, err = io.ReadFull(fr.r, p); err != nil {
			return h, nil, err
		}
	}
	if h.masked {
		ws.Cipher(p, h.mask, 0)
	}
	return h, p, nil
}

// nextMessage returns the next control frame or complete data message,
// reassembling fragments (control frames may arrive between them and are
// returned as they come). For a fragmented message the opcode is that of its
// first frame. The payload is only valid until the next call.
func (fr *frameReader) nextMessage() (ws.OpCode, []byte, error) {
	for {
		h, p, err := fr.next()
		if err != nil {
			return 0, nil, err
		}
		switch {
		case h.op.IsControl():
			return h.op, p, nil
		case !fr.inFrag && h.op == ws.OpContinuation, fr.inFrag && h.op != ws.OpContinuation:
			return 0, nil, ErrProtocol
		case !fr.inFrag && h.fin && h.rsv1:
			p, err = fr.infl.inflate(p, fr.max)
			return h.op, p, err
		case !fr.inFrag && h.fin:
			return h.op, p, nil
		}
		if !fr.inFrag {
			fr.inFrag, fr.fragOp, fr.fragZ, fr.msg = true, h.op, h.rsv1, fr.msg[:0]
		}
		if len(fr.msg)+len(p) > fr.max {
			return 0, nil, ErrFrameTooLarge
		}
		fr.msg = append(fr.msg, p...)
		if h.fin && fr.fragZ {
			fr.inFrag = false
			p, err = fr.infl.inflate(fr.msg, fr.max)
			return fr.fragOp, p, err
		}
		if h.fin {
			fr.inFrag = false
			return fr.fragOp, fr.msg, nil
		}
	}
}
