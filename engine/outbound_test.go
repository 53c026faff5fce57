package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/imgate/gateway/internal/testutil"
)

// seqPayload is goroutine g's i-th message: "g:i:" and a filler whose
// length and bytes depend on both, now and then longer than 64 KiB.
func seqPayload(g, i int) []byte {
	n := (i*37 + g*11) % 300
	if i%97 == 0 {
		n = 70_000
	}
	p := fmt.Appendf(nil, "%d:%d:", g, i)
	return append(p, bytes.Repeat([]byte{byte('a' + (g+i)%26)}, n)...)
}

func TestSendConcurrent(t *testing.T) {
	o := testOptions()
	o.WriteQueueBytes = 256 << 20
	rec := newRecorder(false)
	srv := startServer(t, rec, o)
	c, sc := open(t, srv, rec)
	const goroutines, perG = 8, 300
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perG {
				if !sc.Send(TextFrame(seqPayload(g, i))) {
					t.Errorf("goroutine %d: Send %d refused", g, i)
					return
				}
			}
		})
	}
	next := make([]int, goroutines)
	for range goroutines * perG {
		f := c.mustFrame()
		var g, i int
		if _, err := fmt.Sscanf(string(f.payload), "%d:%d:", &g, &i); err != nil || g < 0 || g >= goroutines {
			t.Fatalf("bad frame %.40q: %v", f.payload, err)
		}
		if i != next[g] {
			t.Fatalf("goroutine %d: got message %d, want %d", g, i, next[g])
		}
		if f.op != OpText || !bytes.Equal(f.payload, seqPayload(g, i)) {
			t.Fatalf("goroutine %d message %d damaged", g, i)
		}
		next[g]++
	}
	wg.Wait()
	c.send(msg(OpText, []byte("done")))
	if m := rec.nextMsg(t); string(m.payload) != "done" {
		t.Fatalf("handler got %q", m.payload)
	}
}

// TestSlowConsumer: a client that does not read is closed with 4008 once
// its queue passes WriteQueueBytes, while another client keeps echoing.
func TestSlowConsumer(t *testing.T) {
	o := testOptions()
	o.WriteQueueBytes = 256 << 10
	rec := newRecorder(true)
	srv := startServer(t, rec, o)
	frame := FinishFrame(append(NewFrameBuffer(16<<10), asciiPayload(16<<10)...), OpBinary)
	const maxFrames = 1 << 14 // 256 MiB: far past any socket buffer

	for _, tc := range []struct {
		name string
		// push queues one frame and reports false once the connection
		// refuses frames or has closed.
		push func(sc *Conn) bool
	}{
		{"Send from another goroutine", func(sc *Conn) bool { return sc.Send(frame) }},
		{"Write on the loop", func(sc *Conn) bool { return execWrite(sc, frame) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := srv.Stats().SlowConsumers.Load()
			slow, sc := open(t, srv, rec)
			fast, _ := open(t, srv, rec)
			n := 0
			for tc.push(sc) {
				if n++; n > maxFrames {
					t.Fatalf("%d frames queued to a client that does not read", n)
				}
			}
			expectSlowClosed(t, rec, sc, fast, slow)
			if got := srv.Stats().SlowConsumers.Load(); got != before+1 {
				t.Fatalf("SlowConsumers %d, want %d", got, before+1)
			}
			fast.send(msg(OpText, []byte("after")))
			fast.expectMessage(OpText, []byte("after"))
			drainMsgs(rec)
		})
	}
}

// execWrite writes frame on sc's loop with Execute and reports whether
// Write accepted it; false too once sc has closed (Execute then skips fn).
func execWrite(sc *Conn, frame []byte) bool {
	ran := make(chan bool, 1)
	sc.Execute(func() { ran <- sc.Write(frame) })
	for end := time.Now().Add(testWait); time.Now().Before(end); {
		select {
		case ok := <-ran:
			return ok
		case <-time.After(20 * time.Millisecond):
			if sc.closed.Load() {
				return false
			}
		}
	}
	return false
}

// TestCloseFromGoroutine: Close sends the frames queued before it, then the
// close frame; later Sends are refused.
func TestCloseFromGoroutine(t *testing.T) {
	rec := newRecorder(false)
	srv := startServer(t, rec, testOptions())
	c, sc := open(t, srv, rec)
	const n = 200
	for i := range n {
		if !sc.Send(TextFrame(fmt.Appendf(nil, "m%d", i))) {
			t.Fatalf("Send %d refused", i)
		}
	}
	sc.Close(4003, "kicked")
	sc.Close(1000, "ignored")
	if sc.Send(TextFrame([]byte("late"))) {
		t.Fatal("Send after Close accepted")
	}
	for i := range n {
		c.expectMessage(OpText, fmt.Appendf(nil, "m%d", i))
	}
	if reason := c.closeHandshake(4003); reason != "kicked" {
		t.Fatalf("reason %q", reason)
	}
	if code := rec.waitClose(t, sc); code != 4003 {
		t.Fatalf("OnClose code %d", code)
	}
	if sc.Send(TextFrame([]byte("after close"))) {
		t.Fatal("Send on a closed connection accepted")
	}
	ran := make(chan struct{}, 1)
	sc.Execute(func() { ran <- struct{}{} })
	select {
	case <-ran:
		t.Fatal("Execute ran on a closed connection")
	case <-time.After(200 * time.Millisecond):
	}
}

// TestWriteFromOnOpen: frames written in OnOpen follow the 101 response.
func TestWriteFromOnOpen(t *testing.T) {
	rec := newRecorder(true)
	rec.onOpen = func(c *Conn, req *Request) {
		c.Write(TextFrame([]byte("welcome " + req.DeviceID)))
	}
	srv := startServer(t, rec, testOptions())
	c := dialRaw(t, srv.Addr())
	c.send(cat(c.request("/?device_id=d7"), msg(OpText, []byte("x"))))
	c.expectUpgrade()
	c.expectMessage(OpText, []byte("welcome d7"))
	c.expectMessage(OpText, []byte("x"))
}

// TestClosingDoesNotBuffer: once the server has sent its close frame it
// only waits for the peer's; a peer that streams a huge data frame instead
// must not make the server buffer it.
func TestClosingDoesNotBuffer(t *testing.T) {
	o := testOptions()
	o.CloseTimeout = testWait
	rec := newRecorder(false)
	srv := startServer(t, rec, o)
	c, sc := open(t, srv, rec)
	sc.Close(4003, "kicked")
	c.expectClose(4003)
	hdr := cframe{fin: true, op: OpBinary, lenForm: 127}.bytes()
	binary.BigEndian.PutUint64(hdr[2:10], 1<<40) // claims a TiB
	c.send(hdr)
	chunk := make([]byte, 1<<20)
	for range 8 {
		c.send(chunk)
	}
	buffered := make(chan int, 1)
	testutil.Eventually(t, testWait, func() error {
		sc.Execute(func() {
			select { // never block the loop
			case buffered <- sc.gc.InboundBuffered():
			default:
			}
		})
		select {
		case n := <-buffered:
			if n > 1<<20 {
				return fmt.Errorf("%d bytes buffered while closing", n)
			}
			return nil
		case <-time.After(time.Second):
			return errors.New("Execute did not run")
		}
	})
	c.send(closeMsg(CloseNormal, "")) // swallowed by the huge frame
	_ = c.tcp().CloseWrite()
	c.expectEOF()
	if code := rec.waitClose(t, sc); code != 4003 {
		t.Fatalf("OnClose code %d", code)
	}
}

// TestSetDeadlineWhileClosing: a handler deadline set after the close
// frame went out must not keep the socket open past CloseTimeout.
func TestSetDeadlineWhileClosing(t *testing.T) {
	rec := newRecorder(false)
	srv := startServer(t, rec, testOptions())
	c, sc := open(t, srv, rec)
	sc.Close(4003, "kicked")
	sc.Execute(func() { sc.SetDeadline(time.Hour, 4001, "too late") })
	c.expectClose(4003)
	c.expectEOF() // CloseTimeout is 300ms; testWait is far shorter than an hour
}

// TestCloseAfter: the final frame goes after what was queued and right
// before the close frame; nothing sent after it goes out, and a second
// CloseAfter or Close is refused.
func TestCloseAfter(t *testing.T) {
	rec := newRecorder(false)
	srv := startServer(t, rec, testOptions())
	c, sc := open(t, srv, rec)
	if !sc.Send(TextFrame([]byte("before"))) {
		t.Fatal("Send refused")
	}
	if !sc.CloseAfter(TextFrame([]byte("last")), CloseGoingAway, "draining") {
		t.Fatal("CloseAfter refused")
	}
	if sc.Send(TextFrame([]byte("late"))) {
		t.Fatal("Send after CloseAfter accepted")
	}
	if sc.CloseAfter(TextFrame([]byte("again")), CloseNormal, "") {
		t.Fatal("second CloseAfter accepted")
	}
	c.expectMessage(OpText, []byte("before"))
	c.expectMessage(OpText, []byte("last"))
	if reason := c.closeHandshake(CloseGoingAway); reason != "draining" {
		t.Fatalf("reason %q", reason)
	}
	if code := rec.waitClose(t, sc); code != CloseGoingAway {
		t.Fatalf("OnClose code %d", code)
	}
}

// expectSlowClosed checks that once sc's queue overflowed, the fast
// client is still served, the slow one is disconnected, and OnClose of sc
// says 4008 (slow consumer).
func expectSlowClosed(t *testing.T, rec *recorder, sc *Conn, fast, slow *wsClient) {
	t.Helper()
	fast.send(msg(OpText, []byte("meanwhile")))
	fast.expectMessage(OpText, []byte("meanwhile"))
	slow.expectEOF()
	if code := rec.waitClose(t, sc); code != CloseSlowConsumer {
		t.Fatalf("OnClose code %d, want 4008", code)
	}
}
