package engine

import (
	"bytes"
	"github.com/klauspost/compress/flate"
	"io"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws/wsflate"
	"github.com/imgate/gateway/engine/wsframe"
)

// permessage-deflate (RFC 7692) with no context takeover in either
// direction: no compression window outlives a message, so the only state a
// connection keeps is one byte, Conn.pmd. Outbound frames are compressed
// once, whoever receives them (wsframe.Frame); inbound ones are inflated by
// the loop's inflater.

// Bits of Conn.pmd.
const (
	pmdOn   = 0x80 // the extension was negotiated
	pmdBits = 0x0F // server_max_window_bits the client asked for; 0: 15
)

// Accepted responses, by server_max_window_bits (0: not offered). The
// server always asks for both no_context_takeover parameters, which RFC
// 7692 §7.1.1 lets a server add to any offer.
var pmdResponses = func() (r [16]httphead.Option) {
	for bits := range r {
		if bits != 0 && bits < 8 {
			continue
		}
		r[bits] = wsflate.Parameters{
			ServerNoContextTakeover: true,
			ClientNoContextTakeover: true,
			ServerMaxWindowBits:     wsflate.WindowBits(bits),
		}.Option()
	}
	return r
}()

// negotiate answers one Sec-WebSocket-Extensions offer: the first valid
// permessage-deflate offer is accepted, every other one declined (a zero
// option). It never fails the upgrade: RFC 7692 §5 has a server decline an
// offer it cannot accept, invalid parameters included.
//
// client_max_window_bits (with or without a value) needs nothing: the
// inflater takes any window up to 15 bits, so the response leaves it out.
// server_max_window_bits=N is accepted and echoed; the connection then gets
// compressed frames only for payloads of at most 2^N bytes, which can hold
// no back-reference longer than the window (compress/flate cannot shrink
// its window), and plain frames otherwise.
func (up *upgrader) negotiate(opt httphead.Option) (httphead.Option, error) {
	if up.pmd != 0 || !bytes.Equal(opt.Name, wsflate.ExtensionNameBytes) {
		return httphead.Option{}, nil
	}
	var p wsflate.Parameters
	if err := p.Parse(opt); err != nil {
		return httphead.Option{}, nil // declined
	}
	bits := byte(p.ServerMaxWindowBits)
	if bits == 15 { // compress/flate's own window: no limit to apply
		up.pmd = pmdOn
	} else {
		up.pmd = pmdOn | bits
	}
	return pmdResponses[bits], nil
}

// Compressed reports whether the connection negotiated permessage-deflate.
// Any goroutine (it is set before OnOpen and never changes).
func (c *Conn) Compressed() bool { return c.pmd&pmdOn != 0 }

// SendFrame queues the variant of f that suits the connection, like Send:
// the compressed one when the connection negotiated permessage-deflate and
// the payload is at least Options.CompressionMinSize (and fits the window
// the client allowed), else the plain one. The compressed variant is built
// by the first such recipient and shared by the rest. Any goroutine.
func (c *Conn) SendFrame(f *wsframe.Frame) bool { return c.Send(c.variant(f)) }

// WriteFrame is SendFrame for use on the loop, like Write. Loop only.
func (c *Conn) WriteFrame(f *wsframe.Frame) bool { return c.Write(c.variant(f)) }

func (c *Conn) variant(f *wsframe.Frame) []byte {
	if c.pmd&pmdOn == 0 {
		return f.Plain()
	}
	n := f.PayloadLen()
	if n < c.srv.opts.CompressionMinSize {
		return f.Plain()
	}
	if bits := c.pmd & pmdBits; bits != 0 && n > 1<<bits {
		return f.Plain()
	}
	if z := f.Deflated(); z != nil {
		return z
	}
	return f.Plain()
}

// inflater decompresses messages on one loop; the loop's connections share
// it. Loop only.
type inflater struct {
	zin []byte        // the message's compressed bytes and deflateEnd
	src bytes.Reader  // over zin: the flate reader's fastest input
	fr  io.ReadCloser // a flate reader, reset per message
	out []byte        // the last inflated message; reused
}

// deflateEnd is what RFC 7692 §7.2.2 has the receiver append to a message
// (00 00 ff ff), then an empty final block, so that the flate reader ends
// with io.EOF exactly when the message is complete.
var deflateEnd = []byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff}

// inflate decompresses one message into the inflater's buffer, which stays
// valid until the next call. It stops as soon as the output passes limit
// (1009: no more than limit+1 bytes are ever held), and fails a corrupt
// stream with 1007, as it does text that is not UTF-8 (checked as it
// inflates, so invalid text fails before the rest is inflated).
func (in *inflater) inflate(p []byte, text bool, limit int) ([]byte, uint16, string) {
	in.zin = append(append(in.zin[:0], p...), deflateEnd...)
	in.src.Reset(in.zin)
	if in.fr == nil {
		in.fr = flate.NewReader(&in.src)
	} else {
		_ = in.fr.(flate.Resetter).Reset(&in.src, nil)
	}
	out := in.out[:0]
	if cap(out) == 0 {
		out = make([]byte, 0, min(limit+1, max(4096, 4*len(p))))
	}
	valid := 0
	for {
		if len(out) == cap(out) {
			if len(out) > limit {
				in.out = out[:0]
				return nil, CloseTooBig, "message too big"
			}
			grown := make([]byte, len(out), min(limit+1, 2*cap(out)))
			out = grown[:copy(grown, out)]
		}
		n, err := in.fr.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if len(out) > limit {
			in.out = out[:0]
			return nil, CloseTooBig, "message too big"
		}
		if text && n > 0 {
			k, ok := validUTF8Prefix(out[valid:])
			if !ok {
				in.out = out[:0]
				return nil, CloseInvalidData, "invalid UTF-8"
			}
			valid += k
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			in.out = out[:0]
			return nil, CloseInvalidData, "bad compressed data"
		}
	}
	in.out = out[:0]
	if text && valid != len(out) {
		return nil, CloseInvalidData, "invalid UTF-8"
	}
	return out, 0, ""
}

// deflated reports whether h is the first frame of a compressed message on
// a connection that negotiated permessage-deflate: RSV1 alone, on a text or
// binary frame (RFC 7692 §6.1: never on a continuation or control frame).
func (c *Conn) deflated(h header) bool {
	return c.pmd&pmdOn != 0 && h.rsv == 4 && (h.op == OpText || h.op == OpBinary)
}

// inflated inflates a complete compressed message and hands it to the
// handler, or fails the connection (1009 too big once inflated, 1007
// corrupt or not UTF-8). Loop only.
func (c *Conn) inflated(op OpCode, p []byte) {
	msg, code, reason := c.loop.infl.inflate(p, op == OpText, c.srv.opts.MaxMessageSize)
	if code != 0 {
		if code == CloseTooBig {
			if th, ok := c.srv.h.(TooBigHandler); ok {
				th.OnTooBig(c)
			}
		}
		c.fail(code, reason)
		return
	}
	c.srv.h.OnMessage(c, op, msg)
}
