package engine

import (
	"encoding/binary"

	"github.com/imgate/gateway/engine/wsframe"
)

// OpCode is a WebSocket frame opcode (RFC 6455 §5.2).
type OpCode byte

// Opcodes the engine knows; every other one is a protocol error.
const (
	OpContinuation OpCode = 0x0
	OpText         OpCode = 0x1
	OpBinary       OpCode = 0x2
	OpClose        OpCode = 0x8
	OpPing         OpCode = 0x9
	OpPong         OpCode = 0xA
)

func (op OpCode) isControl() bool { return op&0x8 != 0 }

func (op OpCode) known() bool {
	switch op {
	case OpContinuation, OpText, OpBinary, OpClose, OpPing, OpPong:
		return true
	}
	return false
}

// Close codes the engine sends itself (RFC 6455 §7.4 and PROTOCOL.md §4).
const (
	CloseNormal        uint16 = 1000
	CloseGoingAway     uint16 = 1001
	CloseProtocolError uint16 = 1002
	CloseNoStatus      uint16 = 1005
	CloseAbnormal      uint16 = 1006
	CloseInvalidData   uint16 = 1007
	ClosePolicy        uint16 = 1008
	CloseTooBig        uint16 = 1009
	CloseSlowConsumer  uint16 = 4008
)

// HeaderRoom is the space a frame buffer keeps in front of its payload for
// the largest server frame header (2 + 8 bytes; server frames are unmasked).
const HeaderRoom = 10

// NewFrameBuffer returns an empty buffer with HeaderRoom bytes reserved in
// front. Append the payload to it, then call FinishFrame. capHint is the
// expected payload size.
func NewFrameBuffer(capHint int) []byte {
	return make([]byte, HeaderRoom, HeaderRoom+capHint)
}

// FinishFrame writes a FIN frame header for op in front of the payload
// appended to a buffer from NewFrameBuffer and returns the complete frame,
// which shares the buffer's memory. The frame must not be modified after it
// is handed to Send or Write.
func FinishFrame(buf []byte, op OpCode) []byte {
	return wsframe.Finish(buf, 0x80|byte(op))
}

// AppendFrame appends one complete FIN frame with the given payload to dst.
func AppendFrame(dst []byte, op OpCode, payload []byte) []byte {
	n := len(payload)
	switch {
	case n < 126:
		dst = append(dst, 0x80|byte(op), byte(n))
	case n <= 0xFFFF:
		dst = append(dst, 0x80|byte(op), 126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, 0x80|byte(op), 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, payload...)
}

// TextFrame returns a new text frame carrying a copy of payload.
func TextFrame(payload []byte) []byte {
	return FinishFrame(append(NewFrameBuffer(len(payload)), payload...), OpText)
}

// closeFrame builds a close frame with a status code and a reason, the
// reason cut to fit a control frame's 125 bytes.
func closeFrame(code uint16, reason string) []byte {
	if len(reason) > 123 {
		reason = reason[:123]
	}
	p := make([]byte, 0, 4+len(reason))
	p = append(p, 0x80|byte(OpClose), byte(2+len(reason)))
	p = binary.BigEndian.AppendUint16(p, code)
	return append(p, reason...)
}

// pingFrame is the server's keep-alive ping, shared by every connection.
var pingFrame = []byte{0x80 | byte(OpPing), 0}

// header is a parsed client frame header.
type header struct {
	fin    bool
	rsv    byte
	op     OpCode
	masked bool
	mask   [4]byte
	length uint64
	size   int // header bytes
}

// parseHeader parses the frame header at the start of b. It returns ok false
// when b does not yet hold the whole header. It does not validate.
func parseHeader(b []byte) (h header, ok bool) {
	if len(b) < 2 {
		return h, false
	}
	h.fin = b[0]&0x80 != 0
	h.rsv = (b[0] >> 4) & 0x7
	h.op = OpCode(b[0] & 0xF)
	h.masked = b[1]&0x80 != 0
	h.size = 2
	switch l := b[1] & 0x7F; l {
	case 126:
		h.size += 2
	case 127:
		h.size += 8
	default:
		h.length = uint64(l)
	}
	if h.masked {
		h.size += 4
	}
	if len(b) < h.size {
		return h, false
	}
	switch h.size - 2 - maskLen(h.masked) {
	case 2:
		h.length = uint64(binary.BigEndian.Uint16(b[2:4]))
	case 8:
		h.length = binary.BigEndian.Uint64(b[2:10])
	}
	if h.masked {
		copy(h.mask[:], b[h.size-4:h.size])
	}
	return h, true
}

func maskLen(masked bool) int {
	if masked {
		return 4
	}
	return 0
}

// unmask XORs b with the mask, starting at mask offset pos (the payload
// offset of b within its frame).
func unmask(b []byte, mask [4]byte, pos int) {
	m := uint32(mask[0]) | uint32(mask[1])<<8 | uint32(mask[2])<<16 | uint32(mask[3])<<24
	if r := pos & 3; r != 0 {
		m = m>>(8*r) | m<<(32-8*r)
	}
	m64 := uint64(m) | uint64(m)<<32
	i := 0
	for ; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], binary.LittleEndian.Uint64(b[i:])^m64)
	}
	for ; i < len(b); i++ {
		b[i] ^= byte(m)
		m = m>>8 | m<<24
	}
}

// validCloseCode reports whether a client may send code in a close frame
// (RFC 6455 §7.4; 1012–1014 are registered with IANA).
func validCloseCode(code uint16) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}
