package engine

import (
	"testing"
	"time"
)

// timerOptions are short timeouts for the timer tests; the sweep period is
// left to its default (a quarter of the shortest).
func timerOptions() Options {
	o := testOptions()
	o.HandshakeTimeout = 300 * time.Millisecond
	o.IdleTimeout = 500 * time.Millisecond
	o.PingInterval = 100 * time.Millisecond
	o.CloseTimeout = 300 * time.Millisecond
	o.TimerResolution = 0
	return o
}

func TestIdleTimeout(t *testing.T) {
	rec := newRecorder(true)
	srv := startServer(t, rec, timerOptions())
	if got := srv.Options().TimerResolution; got != 25*time.Millisecond {
		t.Fatalf("default TimerResolution %v, want 25ms", got)
	}
	t.Run("answered", func(t *testing.T) {
		c, sc := open(t, srv, rec)
		if reason := c.closeHandshake(CloseGoingAway); reason != "idle timeout" {
			t.Fatalf("reason %q", reason)
		}
		if code := rec.waitClose(t, sc); code != CloseGoingAway {
			t.Fatalf("OnClose code %d", code)
		}
	})
	t.Run("close never answered", func(t *testing.T) {
		c, sc := open(t, srv, rec)
		c.expectClose(CloseGoingAway)
		c.expectEOF() // after CloseTimeout
		if code := rec.waitClose(t, sc); code != CloseGoingAway {
			t.Fatalf("OnClose code %d", code)
		}
	})
}

// TestKeepAlive answers every server ping for three idle timeouts, with a
// pong or with a message; the connection must stay open. A close that comes
// less than half an idle timeout after the last answer fails the test at
// once; a later one can only mean the server (or the whole process) was
// starved of CPU, so the attempt is repeated, up to three times.
func TestKeepAlive(t *testing.T) {
	o := timerOptions()
	o.IdleTimeout = 600 * time.Millisecond
	srv := startServer(t, echoHandler{}, o)
	for _, tc := range []struct {
		name  string
		reply []byte
	}{
		{"pong", msg(OpPong, nil)},
		{"message", msg(OpText, []byte("tick"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for attempt := 1; ; attempt++ {
				starved := keepAlive(t, srv, tc.reply)
				if starved == 0 {
					return
				}
				if attempt == 3 {
					t.Fatal("closed for idleness in every attempt")
				}
				t.Logf("attempt %d: closed after a pause of %v with no ping", attempt, starved)
			}
		})
	}
}

// keepAlive runs one attempt of TestKeepAlive. It returns the pause before
// an idle close that can be blamed on starvation, or 0 if the connection
// stayed open.
func keepAlive(t *testing.T, srv *testServer, reply []byte) time.Duration {
	t.Helper()
	idle := srv.Options().IdleTimeout
	c := dialWS(t, srv.Addr(), "/")
	c.pings = true
	pings, last := 0, time.Now()
	for end := time.Now().Add(3 * idle); time.Now().Before(end); {
		f := c.mustFrame()
		switch f.op {
		case OpPing:
			if len(f.payload) != 0 {
				t.Fatalf("ping payload %q", f.payload)
			}
			pings++
			c.send(reply)
			last = time.Now()
		case OpText:
		case OpClose:
			if pause := time.Since(last); pause >= idle/2 {
				return pause
			}
			t.Fatalf("closed (%q) %v after the last answer, %d pings", f.payload, time.Since(last), pings)
		default:
			t.Fatalf("unexpected frame op %d %q", f.op, f.payload)
		}
	}
	if pings < 2 {
		t.Fatalf("%d pings", pings)
	}
	c.pings = false
	c.send(msg(OpText, []byte("alive")))
	for {
		f := c.mustFrame()
		if string(f.payload) == "alive" {
			return 0
		}
		if f.op != OpText || string(f.payload) != "tick" {
			t.Fatalf("unexpected frame op %d %q", f.op, f.payload)
		}
	}
}

func TestSetDeadline(t *testing.T) {
	o := timerOptions()
	o.IdleTimeout = 20 * time.Second
	t.Run("fires", func(t *testing.T) {
		rec := newRecorder(true)
		rec.onOpen = func(c *Conn, _ *Request) { c.SetDeadline(200*time.Millisecond, 4001, "authentication timeout") }
		srv := startServer(t, rec, o)
		c, sc := open(t, srv, rec)
		c.send(msg(OpText, []byte("before")))
		c.expectMessage(OpText, []byte("before"))
		if reason := c.closeHandshake(4001); reason != "authentication timeout" {
			t.Fatalf("reason %q", reason)
		}
		if code := rec.waitClose(t, sc); code != 4001 {
			t.Fatalf("OnClose code %d", code)
		}
	})
	t.Run("cleared with Execute", func(t *testing.T) {
		rec := newRecorder(true)
		const d = time.Second
		rec.onOpen = func(c *Conn, _ *Request) { c.SetDeadline(d, 4001, "authentication timeout") }
		o := o
		o.PingInterval = -1 // any frame would break the silence below
		srv := startServer(t, rec, o)
		c, sc := open(t, srv, rec)
		ran := make(chan bool, 1)
		sc.Execute(func() {
			ran <- sc.state == stateOpen && sc.deadline != 0
			sc.ClearDeadline()
		})
		select {
		case armed := <-ran:
			if !armed {
				t.Fatal("the deadline was gone before ClearDeadline")
			}
		case <-time.After(testWait):
			t.Fatal("Execute did not run")
		}
		c.pings = true
		c.expectSilence(3 * d / 2)
		c.send(msg(OpText, []byte("still open")))
		c.expectMessage(OpText, []byte("still open"))
	})
}
