package engine

import (
	"testing"
	"time"
)

// timerHandler arms a timer on open; OnTimer writes "fired" and counts.
// A message "again" re-arms it, "cancel" cancels it; others are echoed.
type timerHandler struct {
	echoHandler
	after time.Duration
	fired chan struct{}
}

func (h *timerHandler) OnOpen(c *Conn, _ *Request) { c.SetTimer(time.Now().Add(h.after)) }

func (h *timerHandler) OnTimer(c *Conn) {
	c.Write(AppendFrame(make([]byte, 0, 16), OpText, []byte("fired")))
	h.fired <- struct{}{}
}

func (h *timerHandler) OnMessage(c *Conn, op OpCode, p []byte) {
	switch string(p) {
	case "again":
		c.SetTimer(time.Now().Add(h.after))
	case "cancel":
		c.SetTimer(time.Time{})
	}
	h.echoHandler.OnMessage(c, op, p)
}

var _ TimerHandler = (*timerHandler)(nil)

func TestSetTimer(t *testing.T) {
	o := timerOptions()
	o.IdleTimeout, o.PingInterval = 20*time.Second, -1
	h := &timerHandler{after: 150 * time.Millisecond, fired: make(chan struct{}, 4)}
	srv := startServer(t, h, o)
	t.Run("fires once and can be re-armed", func(t *testing.T) {
		c := dialWS(t, srv.Addr(), "/")
		c.expectMessage(OpText, []byte("fired"))
		c.send(msg(OpText, []byte("again")))
		c.expectMessage(OpText, []byte("again"))
		c.expectMessage(OpText, []byte("fired"))
		c.expectSilence(3 * h.after) // once per SetTimer: it does not repeat
		c.send(msg(OpText, []byte("still open")))
		c.expectMessage(OpText, []byte("still open"))
	})
	t.Run("cancelled", func(t *testing.T) {
		// Long enough that "cancel" surely arrives first.
		slow := &timerHandler{after: time.Second, fired: make(chan struct{}, 4)}
		c := dialWS(t, startServer(t, slow, o).Addr(), "/")
		c.send(msg(OpText, []byte("cancel")))
		c.expectMessage(OpText, []byte("cancel"))
		c.expectSilence(3 * slow.after / 2)
	})
}
