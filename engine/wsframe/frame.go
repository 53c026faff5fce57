package wsframe

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/flate"
)

// Frame is one complete server frame (FIN, unmasked, text or binary) shared
// by any number of recipients, plus its compressed variant, built on first
// use. A Frame is immutable once made, except for that one lazy build, and
// safe to use from any goroutine.
//
// The plain frame is held, never copied: it must not be modified after New.
type Frame struct {
	plain   []byte
	hdr     uint8 // header bytes in plain
	once    sync.Once
	deflate []byte // compressed frame with RSV1; nil when it would not be smaller
}

// New wraps a complete plain frame (from engine.FinishFrame or
// engine.AppendFrame). Any goroutine. It panics if plain is not one
// complete unmasked FIN data frame: frames are built by the program, so
// that is a bug.
func New(plain []byte) *Frame {
	hdr, err := Parse(plain)
	if err != nil {
		panic(err)
	}
	return &Frame{plain: plain, hdr: uint8(hdr)}
}

// Plain returns the uncompressed frame. Any goroutine.
func (f *Frame) Plain() []byte { return f.plain }

// PlainHeaderLen is the length of the plain frame's header. Any goroutine.
func (f *Frame) PlainHeaderLen() int { return int(f.hdr) }

// PayloadLen is the length of the uncompressed payload. Any goroutine.
func (f *Frame) PayloadLen() int { return len(f.plain) - int(f.hdr) }

// Deflated returns the frame with its payload compressed for a connection
// that negotiated permessage-deflate with no context takeover (RSV1 set),
// or nil when compressing does not make it smaller. The first call
// compresses; every later call, from any goroutine, returns the same
// slice, which must not be modified.
func (f *Frame) Deflated() []byte {
	f.once.Do(f.build)
	return f.deflate
}

// Compressions is how many frames this process has compressed, for tests
// and stats. Any goroutine.
func Compressions() int64 { return compressions.Load() }

var compressions atomic.Int64

func (f *Frame) build() {
	compressions.Add(1)
	payload := f.plain[f.hdr:]
	z := Compress(make([]byte, maxHeader, maxHeader+len(payload)/2+16), payload)
	if len(z)-maxHeader >= len(payload) { // deflate did not make it smaller
		return
	}
	op := f.plain[0] & 0x0F
	f.deflate = Finish(z, 0x80|0x40|op)
}

// maxHeader is the largest unmasked frame header (engine.HeaderRoom).
const maxHeader = 10

// Finish writes the header whose first byte is b0 (FIN, RSV1, opcode) in
// front of the payload that follows the maxHeader bytes reserved at the
// start of buf, and returns the frame, which shares buf's memory. The
// engine's FinishFrame is Finish for an uncompressed frame.
func Finish(buf []byte, b0 byte) []byte {
	n := len(buf) - maxHeader
	var h int
	switch {
	case n < 126:
		h = 2
		buf[maxHeader-1] = byte(n)
	case n <= 0xFFFF:
		h = 4
		buf[maxHeader-3] = 126
		binary.BigEndian.PutUint16(buf[maxHeader-2:maxHeader], uint16(n))
	default:
		h = 10
		buf[maxHeader-9] = 127
		binary.BigEndian.PutUint64(buf[maxHeader-8:maxHeader], uint64(n))
	}
	buf[maxHeader-h] = b0
	return buf[maxHeader-h:]
}

// Level is the compress/flate level used for every message (see
// BENCHMARKS.md, "Compression", for why).
const Level = flate.BestSpeed

// compressor is a pooled flate.Writer with the buffer it writes to.
type compressor struct {
	w   *flate.Writer
	dst appender
}

type appender struct{ b []byte }

func (a *appender) Write(p []byte) (int, error) { a.b = append(a.b, p...); return len(p), nil }

// compressors is a free list of compressors. Not a sync.Pool: a flate
// writer is about 480 KB, and a pool emptied by every GC cycle made the
// chat benchmark re-allocate them under load. At most cap(compressors)
// stay allocated (a few MB); a goroutine that finds none makes one.
var compressors = make(chan *compressor, 2*runtime.GOMAXPROCS(0))

func getCompressor() *compressor {
	select {
	case c := <-compressors:
		return c
	default:
	}
	c := &compressor{}
	c.w, _ = flate.NewWriter(&c.dst, Level)
	return c
}

func putCompressor(c *compressor) {
	select {
	case compressors <- c:
	default: // enough kept
	}
}

// tail is the empty stored block a sync flush ends with; RFC 7692 §7.2.1
// has the sender drop it.
var tail = []byte{0, 0, 0xff, 0xff}

// Compress appends p compressed as one permessage-deflate message with no
// context takeover (a fresh window, flushed, the trailing 00 00 ff ff
// removed) to dst. Any goroutine: the compressor comes from a free list.
func Compress(dst, p []byte) []byte {
	c := getCompressor()
	c.dst.b = dst
	c.w.Reset(&c.dst)
	_, _ = c.w.Write(p) // an appender does not fail
	_ = c.w.Flush()
	out := c.dst.b
	c.dst.b = nil
	putCompressor(c)
	return bytes.TrimSuffix(out, tail)
}

// Parse checks that b is one complete unmasked FIN text or binary frame
// without reserved bits and returns its header length.
func Parse(b []byte) (hdr int, err error) {
	if len(b) < 2 || b[0]&0xF0 != 0x80 || b[1]&0x80 != 0 {
		return 0, ErrNotFrame
	}
	if op := b[0] & 0x0F; op != 1 && op != 2 {
		return 0, ErrNotFrame
	}
	var n uint64
	switch l := b[1] & 0x7F; l {
	case 126:
		if len(b) < 4 {
			return 0, ErrNotFrame
		}
		hdr, n = 4, uint64(binary.BigEndian.Uint16(b[2:4]))
	case 127:
		if len(b) < 10 {
			return 0, ErrNotFrame
		}
		hdr, n = 10, binary.BigEndian.Uint64(b[2:10])
	default:
		hdr, n = 2, uint64(l)
	}
	if uint64(len(b)-hdr) != n {
		return 0, ErrNotFrame
	}
	return hdr, nil
}
