package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/imgate/gateway/internal/testutil"
)

// TestOnCloseOnce ends connections every way there is and checks that
// OnClose runs exactly once for each upgraded one, with the right code, and
// never for one that did not upgrade.
func TestOnCloseOnce(t *testing.T) {
	rec := newRecorder(true)
	srv := startServer(t, rec, testOptions())
	type ending struct {
		name string
		end  func(c *wsClient)
		code uint16
	}
	endings := []ending{
		{"abrupt close", func(c *wsClient) { _ = c.nc.Close() }, CloseAbnormal},
		{"reset", func(c *wsClient) { _ = c.tcp().SetLinger(0); _ = c.nc.Close() }, CloseAbnormal},
		{"half close", func(c *wsClient) { _ = c.tcp().CloseWrite(); c.expectEOF() }, CloseAbnormal},
		{"close handshake", func(c *wsClient) {
			c.send(closeMsg(CloseNormal, "bye"))
			c.expectClose(CloseNormal)
			c.expectEOF()
		}, CloseNormal},
		{"server Stop", nil, CloseAbnormal},
	}
	const perEnding = 4
	want := make(map[string]uint16)
	how := make(map[string]string)
	var clients []*wsClient
	for i := range perEnding * len(endings) {
		dev := fmt.Sprintf("d%02d", i)
		want[dev], how[dev] = endings[i%len(endings)].code, endings[i%len(endings)].name
		c := dialWS(t, srv.Addr(), "/?device_id="+dev)
		c.send(msg(OpText, []byte(dev)))
		c.expectMessage(OpText, []byte(dev))
		clients = append(clients, c)
	}
	// Sockets that never upgrade: mid-handshake, and refused.
	mid := dialRaw(t, srv.Addr())
	mid.send([]byte("GET / HTTP/1.1\r\n"))
	bad := dialRaw(t, srv.Addr())
	bad.send([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	bad.expectStatus(400)

	for i, c := range clients {
		if e := endings[i%len(endings)]; e.end != nil {
			e.end(c)
		}
	}
	_ = mid.nc.Close()
	stayed := int64(perEnding)
	testutil.Eventually(t, testWait, func() error {
		st := srv.Stats()
		if c, u := st.Conns.Load(), st.Upgraded.Load(); c != stayed || u != stayed {
			return fmt.Errorf("Conns=%d Upgraded=%d, want %d", c, u, stayed)
		}
		return nil
	})
	srv.stop(t)
	if err := statsZero(srv.Server)(); err != nil {
		t.Fatal(err)
	}
	counts := rec.closeCounts()
	if len(counts) != len(want) {
		t.Fatalf("OnOpen saw %d connections, want %d", len(counts), len(want))
	}
	for dev, n := range counts {
		if n != 1 {
			t.Errorf("%s: OnClose ran %d times", dev, n)
		}
	}
	if n := len(rec.closes); n != len(want) {
		t.Fatalf("%d OnClose calls, want %d", n, len(want))
	}
	for range len(want) {
		ev := <-rec.closes
		if ev.code != want[ev.deviceID] {
			t.Errorf("%s (%s): OnClose code %d, want %d", ev.deviceID, how[ev.deviceID], ev.code, want[ev.deviceID])
		}
	}
	st := srv.Stats()
	if u, r := st.Upgrades.Load(), st.Rejected.Load(); u != int64(len(want)) || r != 1 {
		t.Fatalf("Upgrades=%d Rejected=%d", u, r)
	}
}

func TestNoGoroutineLeak(t *testing.T) {
	base := runtime.NumGoroutine()
	srv := startServer(t, echoHandler{}, timerOptions())
	var clients []*wsClient
	for range 4 {
		c := dialWS(t, srv.Addr(), "/")
		c.send(msg(OpText, []byte("x")))
		c.expectMessage(OpText, []byte("x"))
		clients = append(clients, c)
	}
	half := dialRaw(t, srv.Addr())
	half.send([]byte("GET /"))
	// A socket accepted while gnet shuts down can be left open (its
	// registration task never runs): let the server see all of them first.
	testutil.Eventually(t, testWait, func() error {
		if n := srv.Stats().Conns.Load(); n != 5 {
			return fmt.Errorf("Conns = %d, want 5", n)
		}
		return nil
	})
	srv.stop(t)
	for _, c := range append(clients, half) {
		c.expectEOF()
		_ = c.nc.Close()
	}
	if err := srv.Stop(context.Background()); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	testutil.Eventually(t, testWait, func() error {
		if n := runtime.NumGoroutine(); n > base {
			buf := make([]byte, 1<<16)
			return fmt.Errorf("%d goroutines, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
		}
		return nil
	})
}

func TestServeAddressInUse(t *testing.T) {
	first := startServer(t, echoHandler{}, testOptions())
	srv, err := New(echoHandler{}, WithOptions(testOptions()))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(first.Addr().String()) }()
	select {
	case err := <-done:
		if err == nil || errors.Is(err, ErrStopped) {
			t.Fatalf("Serve on a used address returned %v", err)
		}
	case <-time.After(testWait):
		t.Fatal("Serve on a used address did not return")
	}
	select {
	case <-srv.Ready():
	default:
		t.Fatal("Ready not closed after Serve failed")
	}
	if srv.Addr() != nil {
		t.Fatalf("Addr %v after Serve failed", srv.Addr())
	}
}

func TestNewOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		ok   bool
	}{
		{"zero", Options{}, true},
		{"negative handshake timeout", Options{HandshakeTimeout: -1}, false},
		{"negative close timeout", Options{CloseTimeout: -1}, false},
		{"idle and ping disabled", Options{IdleTimeout: -1, PingInterval: -1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := New(echoHandler{}, WithOptions(tc.o))
			if tc.ok != (err == nil) || !tc.ok && !errors.Is(err, ErrBadOptions) {
				t.Fatalf("New: %v", err)
			}
			if !tc.ok {
				return
			}
			o := srv.Options()
			if o.Loops < 1 || o.MaxHeadBytes != 8<<10 || o.MaxMessageSize != 64<<10 || o.WriteQueueBytes != 1<<20 ||
				o.HandshakeTimeout != 5*time.Second || o.CloseTimeout != 3*time.Second || o.Logger == nil {
				t.Fatalf("defaults not applied: %+v", o)
			}
			if o.TimerResolution < 10*time.Millisecond || o.TimerResolution > time.Second {
				t.Fatalf("TimerResolution %v", o.TimerResolution)
			}
		})
	}
}

func TestConnContextAndAddr(t *testing.T) {
	rec := newRecorder(false)
	type state struct{ n int }
	got := make(chan string, 1)
	rec.onOpen = func(c *Conn, _ *Request) {
		if c.Context() != nil {
			t.Error("fresh connection has a context")
		}
		c.SetContext(&state{n: 7})
		got <- c.RemoteAddr().String()
	}
	srv := startServer(t, rec, testOptions())
	if s := srv.String(); !strings.Contains(s, srv.Addr().String()) {
		t.Fatalf("String() = %q", s)
	}
	c, sc := open(t, srv, rec)
	if addr := <-got; addr != c.nc.LocalAddr().String() {
		t.Fatalf("RemoteAddr %s, want %s", addr, c.nc.LocalAddr())
	}
	n := make(chan int, 1)
	sc.Execute(func() { n <- sc.Context().(*state).n })
	select {
	case v := <-n:
		if v != 7 {
			t.Fatalf("context n = %d", v)
		}
	case <-time.After(testWait):
		t.Fatal("Execute did not run")
	}
}
