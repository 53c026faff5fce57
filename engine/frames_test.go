package engine

// Frame-level cases beyond the conformance suite (conformance_test.go).

import (
	"testing"
	"time"
)

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

// TestUnframeableLength: after a frame length with the top bit set nothing
// in the stream can be recognised as the peer's close, so the server
// closes the connection right after its close frame instead of waiting
// CloseTimeout (an hour here) for a reply it would skip as payload.
func TestUnframeableLength(t *testing.T) {
	o := testOptions()
	o.CloseTimeout = time.Hour
	rec := newRecorder(true)
	srv := startServer(t, rec, o)
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"2^63", []byte{0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}},
		{"2^64-1 after an echo", cat(msg(OpText, []byte("first")),
			[]byte{0x81, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4}, closeMsg(CloseNormal, ""))},
		{"2^63 while closing", cat(cframe{fin: true, op: OpText, noMask: true}.bytes(),
			[]byte{0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, sc := open(t, srv, rec)
			c.send(tc.in)
			if f := c.mustFrame(); f.op == OpText {
				c.expectClose(CloseProtocolError)
			} else if f.op != OpClose {
				t.Fatalf("got op %d", f.op)
			}
			c.expectEOF()
			if got := rec.waitClose(t, sc); got != CloseProtocolError {
				t.Fatalf("OnClose code %d, want %d", got, CloseProtocolError)
			}
			drainMsgs(rec)
		})
	}
}
