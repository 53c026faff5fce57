package engine

import (
	"time"

	"bytes"
	"fmt"
	"testing"
)

const testMaxMessage = 100_000

// framesServer starts a recording echo server with MaxMessageSize
// testMaxMessage.
func framesServer(t *testing.T) (*testServer, *recorder) {
	t.Helper()
	o := testOptions()
	o.MaxMessageSize = testMaxMessage
	rec := newRecorder(true)
	return startServer(t, rec, o), rec
}

// open dials and upgrades, returning the client and its server Conn.
func open(t *testing.T, srv *testServer, rec *recorder) (*wsClient, *Conn) {
	t.Helper()
	c := dialWS(t, srv.Addr(), "/")
	sc, _ := rec.nextOpen(t)
	return c, sc
}

// drainMsgs empties the recorder's message channel.
func drainMsgs(rec *recorder) {
	for len(rec.msgs) > 0 {
		<-rec.msgs
	}
}

func TestEchoLengths(t *testing.T) {
	srv, rec := framesServer(t)
	for _, op := range []OpCode{OpText, OpBinary} {
		for _, n := range []int{0, 1, 125, 126, 127, 128, 65535, 65536, testMaxMessage} {
			t.Run(fmt.Sprintf("op%d/%d", op, n), func(t *testing.T) {
				c, _ := open(t, srv, rec)
				p := asciiPayload(n)
				c.send(msg(op, p))
				c.expectMessage(op, p)
				drainMsgs(rec)
			})
		}
	}
}

// TestEchoLarge sends a 4 MiB message in odd-sized pieces, the next
// message glued to its end.
func TestEchoLarge(t *testing.T) {
	o := testOptions()
	o.MaxMessageSize = 8 << 20
	o.WriteQueueBytes = 16 << 20
	srv := startServer(t, echoHandler{}, o)
	c := dialWS(t, srv.Addr(), "/")
	p := asciiPayload(4<<20 + 3)
	in := cat(msg(OpBinary, p), msg(OpText, []byte("next")))
	go func() {
		for len(in) > 0 {
			k := min(100_003, len(in))
			c.trySend(in[:k])
			in = in[k:]
		}
	}()
	c.expectMessage(OpBinary, p)
	c.expectMessage(OpText, []byte("next"))
}

// TestEchoNonMinimalLength: a client may encode a short length in the
// 16- or 64-bit form.
func TestEchoNonMinimalLength(t *testing.T) {
	srv, rec := framesServer(t)
	c, _ := open(t, srv, rec)
	for _, form := range []int{126, 127} {
		p := asciiPayload(10)
		c.send(cframe{fin: true, op: OpBinary, lenForm: form, payload: p}.bytes())
		c.expectMessage(OpBinary, p)
	}
}

func TestFragmentation(t *testing.T) {
	srv, rec := framesServer(t)
	t.Run("pings between fragments", func(t *testing.T) {
		c, _ := open(t, srv, rec)
		c.send(cat(frag(false, OpText, []byte("Hello, ")), msg(OpPing, []byte("p1"))))
		c.expectMessage(OpPong, []byte("p1"))
		c.send(cat(frag(false, OpContinuation, []byte("wor")), msg(OpPing, []byte("p2")),
			msg(OpPong, []byte("unsolicited")), frag(true, OpContinuation, []byte("ld"))))
		c.expectMessage(OpPong, []byte("p2"))
		c.expectMessage(OpText, []byte("Hello, world"))
		if m := rec.nextMsg(t); m.op != OpText || string(m.payload) != "Hello, world" {
			t.Fatalf("handler got op %d %q", m.op, m.payload)
		}
	})
	t.Run("one byte fragments in one write", func(t *testing.T) {
		c, _ := open(t, srv, rec)
		p := asciiPayload(300)
		var in []byte
		for i := range p {
			op := OpContinuation
			if i == 0 {
				op = OpBinary
			}
			in = append(in, frag(i == len(p)-1, op, p[i:i+1])...)
		}
		c.sendChunks(in, 7)
		c.expectMessage(OpBinary, p)
	})
	t.Run("empty fragments", func(t *testing.T) {
		c, _ := open(t, srv, rec)
		c.send(cat(frag(false, OpText, nil), frag(false, OpContinuation, []byte("x")),
			frag(false, OpContinuation, nil), frag(true, OpContinuation, nil)))
		c.expectMessage(OpText, []byte("x"))
	})
	t.Run("exactly MaxMessageSize in fragments", func(t *testing.T) {
		c, _ := open(t, srv, rec)
		p := asciiPayload(testMaxMessage)
		h := testMaxMessage / 2
		c.send(cat(frag(false, OpText, p[:h]), frag(true, OpContinuation, p[h:])))
		c.expectMessage(OpText, p)
	})
	t.Run("valid UTF-8 split inside sequences", func(t *testing.T) {
		c, _ := open(t, srv, rec)
		p := []byte("a€😀é\U0010FFFFz")
		var in []byte
		for i := range p {
			op := OpContinuation
			if i == 0 {
				op = OpText
			}
			in = append(in, frag(i == len(p)-1, op, p[i:i+1])...)
		}
		c.send(in)
		c.expectMessage(OpText, p)
		c.send(cat(frag(false, OpText, p[:2]), frag(true, OpContinuation, p[2:])))
		c.expectMessage(OpText, p)
	})
	drainMsgs(rec)
}

// TestProtocolViolations sends one bad input per connection and expects
// the close code, the close handshake, and OnClose with the same code.
func TestProtocolViolations(t *testing.T) {
	srv, rec := framesServer(t)
	hugeLen := func(b1 byte, ext []byte) []byte {
		return append([]byte{0x82, b1}, append(ext, 1, 2, 3, 4)...)
	}
	tooBig := asciiPayload(testMaxMessage + 1)
	half := testMaxMessage/2 + 1
	for _, tc := range []struct {
		name string
		in   []byte
		code uint16
	}{
		{"unmasked", cframe{fin: true, op: OpText, noMask: true, payload: []byte("hi")}.bytes(), CloseProtocolError},
		{"unmasked close", cframe{fin: true, op: OpClose, noMask: true, payload: []byte{3, 232}}.bytes(), CloseProtocolError},
		{"RSV1", cframe{fin: true, rsv: 4, op: OpText, payload: []byte("hi")}.bytes(), CloseProtocolError},
		{"RSV2", cframe{fin: true, rsv: 2, op: OpBinary}.bytes(), CloseProtocolError},
		{"RSV3 on ping", cframe{fin: true, rsv: 1, op: OpPing}.bytes(), CloseProtocolError},
		{"opcode 3", msg(3, []byte("x")), CloseProtocolError},
		{"opcode 7", msg(7, nil), CloseProtocolError},
		{"opcode 0xB", msg(0xB, nil), CloseProtocolError},
		{"opcode 0xF", msg(0xF, []byte("x")), CloseProtocolError},
		{"continuation without start", frag(true, OpContinuation, []byte("x")), CloseProtocolError},
		{"new message inside fragmented", cat(frag(false, OpText, []byte("a")), msg(OpText, []byte("b"))), CloseProtocolError},
		{"ping of 126 bytes", msg(OpPing, asciiPayload(126)), CloseProtocolError},
		{"pong of 126 bytes", cframe{fin: true, op: OpPong, lenForm: 126, payload: asciiPayload(126)}.bytes(), CloseProtocolError},
		{"fragmented ping", frag(false, OpPing, []byte("p")), CloseProtocolError},
		{"fragmented close", frag(false, OpClose, []byte{3, 232}), CloseProtocolError},
		{"length 2^63", hugeLen(0xFF, []byte{0x80, 0, 0, 0, 0, 0, 0, 0}), CloseProtocolError},
		{"length 2^64-1", hugeLen(0xFF, bytes.Repeat([]byte{0xFF}, 8)), CloseProtocolError},
		{"length 2^63-1", hugeLen(0xFF, []byte{0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}), CloseTooBig},
		{"too big in one frame", msg(OpBinary, tooBig), CloseTooBig},
		{"too big header only", msg(OpText, tooBig)[:14], CloseTooBig},
		{"too big in fragments", cat(frag(false, OpBinary, tooBig[:half]), frag(true, OpContinuation, tooBig[:half])), CloseTooBig},
		{"invalid UTF-8", msg(OpText, []byte("ab\xffcd")), CloseInvalidData},
		{"surrogate", msg(OpText, []byte("\xed\xa0\x80")), CloseInvalidData},
		{"overlong", msg(OpText, []byte("\xc0\xaf")), CloseInvalidData},
		{"truncated sequence", msg(OpText, []byte("ok\xe2\x82")), CloseInvalidData},
		// Fail fast: the final fragment is never sent.
		{"invalid UTF-8 in first fragment", frag(false, OpText, []byte("abc\xff")), CloseInvalidData},
		{"invalid UTF-8 across fragments", cat(frag(false, OpText, []byte("abc\xe2\x82")), frag(false, OpContinuation, []byte("A"))), CloseInvalidData},
		{"above U+10FFFF across fragments", cat(frag(false, OpText, []byte("\xf4")), frag(false, OpContinuation, []byte("\x90"))), CloseInvalidData},
		{"truncated at the final fragment", cat(frag(false, OpText, []byte("a\xe2\x82")), frag(true, OpContinuation, nil)), CloseInvalidData},
		{"close with 1-byte payload", msg(OpClose, []byte{3}), CloseProtocolError},
		{"close code 0", closeMsg(0, ""), CloseProtocolError},
		{"close code 999", closeMsg(999, ""), CloseProtocolError},
		{"close code 1004", closeMsg(1004, ""), CloseProtocolError},
		{"close code 1005", closeMsg(1005, ""), CloseProtocolError},
		{"close code 1006", closeMsg(1006, ""), CloseProtocolError},
		{"close code 1015", closeMsg(1015, ""), CloseProtocolError},
		{"close code 2000", closeMsg(2000, ""), CloseProtocolError},
		{"close code 5000", closeMsg(5000, ""), CloseProtocolError},
		{"close reason invalid UTF-8", closeMsg(1000, "bye\xff"), CloseInvalidData},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, sc := open(t, srv, rec)
			c.send(tc.in)
			c.closeHandshake(tc.code)
			if got := rec.waitClose(t, sc); got != tc.code {
				t.Fatalf("OnClose code %d, want %d", got, tc.code)
			}
		})
	}
	drainMsgs(rec)
	eventually(t, testWait, statsZero(srv.Server))
}

// TestTooBigHandler: OnTooBig's frame goes out before the 1009 close.
func TestTooBigHandler(t *testing.T) {
	o := testOptions()
	o.MaxMessageSize = 1000
	srv := startServer(t, tooBigEcho{}, o)
	c := dialWS(t, srv.Addr(), "/")
	c.send(msg(OpText, []byte("small")))
	c.send(msg(OpText, asciiPayload(1001)))
	c.expectMessage(OpText, []byte("small"))
	c.expectMessage(OpText, []byte("too big"))
	c.closeHandshake(CloseTooBig)
}

type tooBigEcho struct{ echoHandler }

func (tooBigEcho) OnTooBig(c *Conn) { c.Write(TextFrame([]byte("too big"))) }

func TestCloseHandshake(t *testing.T) {
	srv, rec := framesServer(t)
	for _, tc := range []struct {
		name  string
		in    []byte
		reply []byte // the server's close payload
		code  uint16 // OnClose's
	}{
		{"1000 with reason", closeMsg(1000, "bye"), []byte{0x03, 0xE8}, CloseNormal},
		{"empty", msg(OpClose, nil), nil, CloseNoStatus},
		{"1001", closeMsg(1001, ""), []byte{0x03, 0xE9}, CloseGoingAway},
		{"1003", closeMsg(1003, ""), []byte{0x03, 0xEB}, 1003},
		{"1014", closeMsg(1014, "x"), []byte{0x03, 0xF6}, 1014},
		{"3000", closeMsg(3000, ""), []byte{0x0B, 0xB8}, 3000},
		{"4999 with UTF-8 reason", closeMsg(4999, "adiós"), []byte{0x13, 0x87}, 4999},
		{"125-byte payload", closeMsg(1000, string(asciiPayload(123))), []byte{0x03, 0xE8}, CloseNormal},
		{"after a fragment", cat(frag(false, OpText, []byte("a")), closeMsg(1000, "")), []byte{0x03, 0xE8}, CloseNormal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, sc := open(t, srv, rec)
			c.send(tc.in)
			f := c.mustFrame()
			if f.op != OpClose || !bytes.Equal(f.payload, tc.reply) {
				t.Fatalf("got op %d payload % x, want close % x", f.op, f.payload, tc.reply)
			}
			c.expectEOF()
			if got := rec.waitClose(t, sc); got != tc.code {
				t.Fatalf("OnClose code %d, want %d", got, tc.code)
			}
		})
	}
	t.Run("frames after close are ignored", func(t *testing.T) {
		c, _ := open(t, srv, rec)
		c.send(cat(closeMsg(1000, ""), msg(OpText, []byte("late"))))
		c.expectClose(CloseNormal)
		c.expectEOF()
		select {
		case m := <-rec.msgs:
			t.Fatalf("handler got %q after the close", m.payload)
		default:
		}
	})
}

// TestCloseReplyAfterViolation: the peer's close reply that arrives in the
// same read as its bad frame ends the connection at once, not after
// CloseTimeout (an hour here, so waiting it out would fail the test).
func TestCloseReplyAfterViolation(t *testing.T) {
	o := testOptions()
	o.CloseTimeout = time.Hour
	rec := newRecorder(true)
	srv := startServer(t, rec, o)
	c, sc := open(t, srv, rec)
	c.send(cat(cframe{fin: true, op: OpText, noMask: true, payload: []byte("hi")}.bytes(), closeMsg(1002, "")))
	c.expectClose(CloseProtocolError)
	c.expectEOF()
	if got := rec.waitClose(t, sc); got != CloseProtocolError {
		t.Fatalf("OnClose code %d, want %d", got, CloseProtocolError)
	}
}
