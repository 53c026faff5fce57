package engine

import (
	"encoding/binary"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// consume handles what buf holds and returns how many bytes it used. Loop
// only.
func (c *Conn) consume(buf []byte) int {
	off := 0
	if c.state == stateHandshake {
		off = c.handshake(buf)
	}
	if c.state == stateOpen || c.state == stateClosing && c.upgraded {
		off += c.readFrames(buf[off:])
	}
	if c.state == stateClosing && !c.upgraded {
		return len(buf) // after an HTTP refusal, input is thrown away
	}
	return off
}

// handshake waits for the complete request head, then upgrades or refuses.
// During the handshake c.skip counts the bytes already searched for the
// head's end.
func (c *Conn) handshake(buf []byte) int {
	max := c.srv.opts.MaxHeadBytes
	end := headEnd(buf[:min(len(buf), max+4)], int(c.skip))
	if end < 0 {
		if len(buf) > max {
			c.reject(resp431)
		}
		c.skip = uint64(len(buf))
		return 0
	}
	c.skip = 0
	if end > max {
		c.reject(resp431)
		return 0
	}
	if c.srv.adm.draining.Load() {
		c.reject(c.srv.adm.resp503)
		return 0
	}
	up := c.loop.up
	resp, ok := up.upgrade(buf[:end])
	if !ok {
		c.reject(resp)
		return 0
	}
	if !c.tokenAccepted(&up.req) {
		c.reject(resp401)
		return 0
	}
	c.state, c.upgraded, c.deadline, c.pmd = stateOpen, true, 0, up.pmd
	c.lastRead, c.lastPing = c.srv.now(), c.srv.now()
	c.srv.stats.Upgrades.Add(1)
	c.srv.stats.Upgraded.Add(1)
	c.Write(resp) // up.out stays untouched until this callback's flush
	c.srv.h.OnOpen(c, &up.req)
	return end
}

// reject answers the request head with an HTTP error and closes the
// connection once the peer has read it (or CloseTimeout passed). Loop only.
func (c *Conn) reject(resp []byte) {
	c.srv.stats.Rejected.Add(1)
	c.srv.adm.count(resp)
	c.state = stateClosing
	c.deadline = c.srv.now() + int64(c.srv.opts.CloseTimeout)
	c.writeRaw(resp)
	if c.tls != nil {
		c.tls.closeNotify()
	}
	if c.state == stateClosing && c.gc.OutboundBuffered() == 0 {
		_ = unix.Shutdown(c.gc.Fd(), unix.SHUT_WR)
	}
}

// readFrames handles every complete frame in buf. Loop only.
func (c *Conn) readFrames(buf []byte) int {
	off := 0
	for c.state == stateOpen || c.state == stateClosing {
		if c.skip > 0 {
			d := min(c.skip, uint64(len(buf)-off))
			off += int(d)
			if c.skip -= d; c.skip > 0 {
				break
			}
		}
		h, ok := parseHeader(buf[off:])
		if !ok {
			break
		}
		if code, reason := c.check(h); code != 0 {
			off = c.skipFrame(h, buf, off)
			if c.state == stateOpen {
				c.fail(code, reason) // later frames are read in closing state
			}
			if h.length>>63 != 0 {
				// No frame boundary follows such a length: the peer's
				// close could never be seen, so don't wait for it.
				c.closeNow()
				return len(buf)
			}
			continue
		}
		if c.state == stateClosing {
			// Only the peer's close frame matters now: skip other frames
			// as they arrive instead of buffering them whole.
			if h.op == OpClose {
				c.closeNow()
				return len(buf)
			}
			off = c.skipFrame(h, buf, off)
			continue
		}
		total := uint64(h.size) + h.length
		if uint64(len(buf)-off) < total {
			c.need = int(total) // wait for the rest of the frame
			break
		}
		payload := buf[off+h.size : off+int(total)]
		off += int(total)
		unmask(payload, h.mask, 0)
		c.lastRead = c.srv.now()
		c.handleFrame(h, payload)
	}
	return off
}

// skipFrame throws away the frame starting at buf[off]: what buf holds of
// it now, the rest as it arrives. It returns the offset after the part
// thrown away now.
func (c *Conn) skipFrame(h header, buf []byte, off int) int {
	total := uint64(h.size) + h.length
	if total < h.length { // overflow: a length no peer can send
		total = ^uint64(0)
	}
	now := min(total, uint64(len(buf)-off))
	c.skip = total - now
	return off + int(now)
}

// check validates a frame header against RFC 6455 and the size limit. It
// returns a close code and reason, or 0.
func (c *Conn) check(h header) (uint16, string) {
	switch {
	case h.rsv != 0 && !c.deflated(h):
		return CloseProtocolError, "reserved bits set"
	case !h.op.known():
		return CloseProtocolError, "unknown opcode"
	case !h.masked:
		return CloseProtocolError, "frame not masked"
	case h.length>>63 != 0:
		return CloseProtocolError, "bad frame length"
	case c.state != stateOpen:
		return 0, "" // closing: frames are only looked at for a close
	case h.op.isControl() && (!h.fin || h.length > 125):
		return CloseProtocolError, "bad control frame"
	case h.op == OpContinuation && c.fragOp() == 0:
		return CloseProtocolError, "continuation without a start"
	case !h.op.isControl() && h.op != OpContinuation && c.fragOp() != 0:
		return CloseProtocolError, "new message inside a fragmented one"
	case !h.op.isControl() && h.length+uint64(c.fragLen()) > uint64(c.srv.opts.MaxMessageSize):
		if th, ok := c.srv.h.(TooBigHandler); ok {
			th.OnTooBig(c)
		}
		return CloseTooBig, "message too big"
	}
	return 0, ""
}

// TooBigHandler is implemented by a Handler that wants to write something
// (an error message) before a connection is closed with 1009.
type TooBigHandler interface {
	// OnTooBig runs on the loop before the 1009 close frame is queued.
	OnTooBig(c *Conn)
}

// fail closes the connection for a protocol violation, after the frames
// already queued. Loop only.
func (c *Conn) fail(code uint16, reason string) {
	c.dropFragments()
	c.closeAfterFlush(code, reason)
}

// closeAfterFlush writes what is queued, then starts the close handshake.
func (c *Conn) closeAfterFlush(code uint16, reason string) {
	c.flush()
	if c.state == stateOpen {
		c.startClose(code, reason)
	}
}

// handleFrame acts on one complete, unmasked, valid frame.
func (c *Conn) handleFrame(h header, p []byte) {
	switch h.op {
	case OpPing:
		c.Write(AppendFrame(make([]byte, 0, 2+len(p)), OpPong, p))
	case OpPong:
	case OpClose:
		c.onClose(p)
	case OpText, OpBinary:
		if !h.fin {
			r := c.rareState()
			r.fragOp, r.fragValid, r.fragZ = h.op, 0, h.rsv != 0
			c.appendFragment(p)
			return
		}
		if h.rsv != 0 {
			c.inflated(h.op, p)
			return
		}
		if h.op == OpText && !utf8.Valid(p) {
			c.fail(CloseInvalidData, "invalid UTF-8")
			return
		}
		c.srv.h.OnMessage(c, h.op, p)
	case OpContinuation:
		c.appendFragment(p)
		if c.state == stateOpen && h.fin {
			c.finishMessage()
		}
	}
}

// appendFragment adds a fragment to the message being reassembled and
// checks its text so far. A message has begun: c.rare is set.
func (c *Conn) appendFragment(p []byte) {
	r := c.rare
	r.frag = append(r.frag, p...)
	if r.fragOp != OpText || r.fragZ {
		return
	}
	n, ok := validUTF8Prefix(r.frag[r.fragValid:])
	if !ok {
		c.fail(CloseInvalidData, "invalid UTF-8")
		return
	}
	r.fragValid += n
}

func (c *Conn) finishMessage() {
	r := c.rare
	op, msg, valid, z := r.fragOp, r.frag, r.fragValid, r.fragZ
	c.dropFragments()
	if z {
		c.inflated(op, msg)
		return
	}
	if op == OpText && valid != len(msg) {
		c.fail(CloseInvalidData, "invalid UTF-8")
		return
	}
	c.srv.h.OnMessage(c, op, msg)
}

// onClose answers the peer's close frame and closes the socket.
func (c *Conn) onClose(p []byte) {
	code := CloseNoStatus
	switch {
	case len(p) == 1:
		c.fail(CloseProtocolError, "bad close frame")
		return
	case len(p) >= 2:
		code = binary.BigEndian.Uint16(p)
		if !validCloseCode(code) {
			c.fail(CloseProtocolError, "bad close code")
			return
		}
		if !utf8.Valid(p[2:]) {
			c.fail(CloseInvalidData, "invalid UTF-8 in close reason")
			return
		}
	}
	c.flush()
	if c.state != stateOpen {
		return
	}
	c.closeCode = code
	c.state = stateClosing
	reply := []byte{0x80 | byte(OpClose), 0}
	if code != CloseNoStatus {
		reply = closeFrame(code, "")
	}
	c.writeRaw(reply)
	c.closeNow()
}
