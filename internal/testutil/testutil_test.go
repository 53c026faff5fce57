package testutil

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// fatalTB records Fatalf instead of ending the test, so that a helper's
// failure can be checked. Fatalf must end the calling goroutine as the
// real one does, so callers run the helper on a goroutine of their own.
type fatalTB struct {
	testing.TB
	mu  sync.Mutex
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.msg = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fatalTB) failed() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.msg
}

// runHelper runs fn on its own goroutine (Fatalf ends it) and waits.
func runHelper(fn func()) {
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	<-done
}

func TestEventually(t *testing.T) {
	n := 0
	Eventually(t, Wait, func() error {
		if n++; n < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if n != 3 {
		t.Fatalf("cond ran %d times, want 3", n)
	}
	f := &fatalTB{TB: t}
	runHelper(func() { Eventually(f, 20*time.Millisecond, func() error { return errors.New("never") }) })
	if !strings.Contains(f.failed(), "never") {
		t.Fatalf("Eventually of a condition that never holds: failure %q, want the last error", f.failed())
	}
}

func TestWaitChan(t *testing.T) {
	ch := make(chan int, 1)
	ch <- 7
	if v := WaitChan(t, ch, "seven"); v != 7 {
		t.Fatalf("got %d", v)
	}
	if _, ok := RecvWithin(make(chan int), time.Millisecond); ok {
		t.Fatal("RecvWithin received from an empty channel")
	}
}

func TestQuery(t *testing.T) {
	for _, tc := range []struct {
		kv   []string
		want string
	}{
		{kv: nil, want: ""},
		{kv: []string{"token", ""}, want: ""},
		{kv: []string{"token", "a.b-c_d", "device_id", "", "platform", "web"}, want: "?token=a.b-c_d&platform=web"},
		{kv: []string{"device_id", "a b&c"}, want: "?device_id=a+b%26c"},
	} {
		if got := Query(tc.kv...); got != tc.want {
			t.Errorf("Query(%q) = %q, want %q", tc.kv, got, tc.want)
		}
	}
}

// serveWS accepts one WebSocket connection on 127.0.0.1:0, records the
// upgrade request's Authorization header and offered subprotocols, and
// hands the server side to fn.
func serveWS(t *testing.T, fn func(conn net.Conn)) (url string, seen chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	seen = make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		var auth string
		var protos []string
		u := ws.Upgrader{
			OnHeader: func(k, v []byte) error {
				if http.CanonicalHeaderKey(string(k)) == "Authorization" {
					auth = string(v)
				}
				return nil
			},
			Protocol: func(p []byte) bool { protos = append(protos, string(p)); return false },
		}
		if _, err := u.Upgrade(conn); err != nil {
			return
		}
		seen <- auth + "|" + strings.Join(protos, ",")
		fn(conn)
	}()
	return "ws://" + ln.Addr().String() + "/", seen
}

func TestClientTokenPlaces(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  DialOption
		want string
	}{
		{name: "header", opt: WithBearer("tok1"), want: "Bearer tok1|"},
		{name: "subprotocol", opt: WithBearerProtocol("tok2"), want: "|gateway.v1,bearer.tok2"},
		{name: "header map", opt: WithHeader(http.Header{"Sec-WebSocket-Protocol": {"a, b"}}), want: "|a,b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, seen := serveWS(t, func(net.Conn) {})
			Dial(t, url, tc.opt)
			if got := WaitChan(t, seen, "upgrade"); got != tc.want {
				t.Fatalf("server saw %q, want %q", got, tc.want)
			}
		})
	}
}

func TestClientReadAndClose(t *testing.T) {
	pong := make(chan string, 1)
	url, _ := serveWS(t, func(conn net.Conn) {
		_ = wsutil.WriteServerMessage(conn, ws.OpPing, []byte("p"))
		_ = wsutil.WriteServerText(conn, []byte(`{"cmd_id":1001,"seq":4,"code":200,"body":{"user_id":"alice"},"err_msg":""}`))
		h, err := ws.ReadHeader(conn)
		if err != nil {
			return
		}
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(conn, p); err != nil {
			return
		}
		ws.Cipher(p, h.Mask, 0)
		pong <- fmt.Sprintf("%v %v %s", h.OpCode == ws.OpPong, h.Masked, p)
		// The client's message, echoed.
		p, err = wsutil.ReadClientText(conn)
		if err != nil {
			return
		}
		_ = wsutil.WriteServerText(conn, p)
		_ = wsutil.WriteServerMessage(conn, ws.OpClose, ws.NewCloseFrameBody(4003, "bye"))
	})
	c := Dial(t, url, WithName("alice"))
	r := c.Read()
	if r.CmdID != 1001 || r.Seq != 4 || r.Code != 200 || r.BodyMap(t)["user_id"] != "alice" {
		t.Fatalf("read %+v", r)
	}
	if got := WaitChan(t, pong, "pong"); got != "true true p" {
		t.Fatalf("answer to a ping: pong, masked, payload = %s", got)
	}
	c.Send(map[string]any{"cmd_id": 2001, "seq": 5})
	if r := c.Read(); r.CmdID != 2001 || r.Seq != 5 {
		t.Fatalf("echo %+v", r)
	}
	if code := c.ExpectClose(); code != 4003 {
		t.Fatalf("close code %d, want 4003", code)
	}
	if _, err := c.TryRead(); err == nil {
		t.Fatal("read after the close succeeded")
	}
}

func TestIsClose(t *testing.T) {
	err := fmt.Errorf("read: %w", CloseError{Code: 1001})
	if !IsClose(err, 1001) || IsClose(err, 1000) || IsClose(errors.New("x"), 1001) {
		t.Fatal("IsClose")
	}
	if CloseCode(nil) != 1005 || CloseCode([]byte{0x0f, 0xa0}) != 4000 {
		t.Fatal("CloseCode")
	}
}
