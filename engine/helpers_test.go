package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imgate/gateway/internal/testlog"
	"github.com/imgate/gateway/internal/testutil"
)

// testWait bounds every read, poll and shutdown in the tests: generous,
// because the suite runs under -race on a slow, noisy machine.
const testWait = 10 * time.Second

// testOptions returns options for a test server: two loops, short
// handshake and close timeouts, no pings, an idle timeout no test reaches
// by accident. Tests of the timers shorten the rest.
func testOptions() Options {
	return Options{
		Loops:            2,
		HandshakeTimeout: 2 * time.Second,
		IdleTimeout:      20 * time.Second,
		PingInterval:     -1,
		CloseTimeout:     300 * time.Millisecond,
		TimerResolution:  20 * time.Millisecond,
		Logger:           testlog.Logger(),
	}
}

// testServer is a Server listening on 127.0.0.1:0.
type testServer struct {
	*Server
	done     chan error // Serve's result
	stopOnce sync.Once
}

// startServer starts a Server for h and stops it when the test ends.
func startServer(t testing.TB, h Handler, o Options) *testServer {
	t.Helper()
	return serveOn(t, h, o, "127.0.0.1:0", (*Server).Addr)
}

// serveOn starts a Server for h serving plain, waits until it is ready
// and addr (the listener the test needs) is set, and stops it when the
// test ends.
func serveOn(t testing.TB, h Handler, o Options, plain string, addr func(*Server) net.Addr) *testServer {
	t.Helper()
	srv, err := New(h, WithOptions(o))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := &testServer{Server: srv, done: make(chan error, 1)}
	go func() { ts.done <- srv.Serve(plain) }()
	select {
	case <-srv.Ready():
	case <-time.After(testWait):
		t.Fatal("server not ready")
	}
	if addr(srv) == nil {
		t.Fatalf("Serve failed: %v", <-ts.done)
	}
	t.Cleanup(func() { ts.stop(t) })
	return ts
}

// stop stops the server and waits for Serve to return nil. Idempotent.
func (ts *testServer) stop(t testing.TB) {
	t.Helper()
	ts.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testWait)
		defer cancel()
		if err := ts.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
		select {
		case err := <-ts.done:
			if err != nil {
				t.Errorf("Serve returned %v after Stop", err)
			}
		case <-time.After(testWait):
			t.Error("Serve did not return after Stop")
		}
	})
}

// statsZero reports an error while any connection counter is not 0.
func statsZero(s *Server) func() error {
	return func() error {
		st := s.Stats()
		if c, u := st.Conns.Load(), st.Upgraded.Load(); c != 0 || u != 0 {
			return fmt.Errorf("Conns=%d Upgraded=%d, want 0", c, u)
		}
		return nil
	}
}

// echoHandler writes every message back as it came.
type echoHandler struct{}

func (echoHandler) OnOpen(*Conn, *Request) {}
func (echoHandler) OnClose(*Conn, uint16)  {}
func (echoHandler) OnMessage(c *Conn, op OpCode, p []byte) {
	c.Write(AppendFrame(make([]byte, 0, len(p)+HeaderRoom), op, p))
}

// recMsg is a message a recorder saw.
type recMsg struct {
	c       *Conn
	op      OpCode
	payload []byte
}

// recClose is an OnClose a recorder saw.
type recClose struct {
	c        *Conn
	deviceID string
	code     uint16
}

// recorder records the events of its connections on channels, and echoes
// messages when echo is set. onOpen, when set, runs at the end of OnOpen.
type recorder struct {
	echo   bool
	onOpen func(c *Conn, req *Request)

	opens  chan Request
	conns  chan *Conn
	msgs   chan recMsg
	closes chan recClose

	mu      sync.Mutex
	devices map[*Conn]string // DeviceID by connection
	nClose  map[*Conn]int    // OnClose calls by connection
	codes   map[*Conn]uint16 // the last OnClose code by connection
}

func newRecorder(echo bool) *recorder {
	const depth = 1 << 12
	return &recorder{
		echo:    echo,
		opens:   make(chan Request, depth),
		conns:   make(chan *Conn, depth),
		msgs:    make(chan recMsg, depth),
		closes:  make(chan recClose, depth),
		devices: make(map[*Conn]string),
		nClose:  make(map[*Conn]int),
		codes:   make(map[*Conn]uint16),
	}
}

func (r *recorder) OnOpen(c *Conn, req *Request) {
	r.mu.Lock()
	r.devices[c] = req.DeviceID
	r.mu.Unlock()
	kept := *req
	kept.Token = strings.Clone(req.Token) // valid only during OnOpen
	r.opens <- kept
	r.conns <- c
	if r.onOpen != nil {
		r.onOpen(c, req)
	}
}

func (r *recorder) OnMessage(c *Conn, op OpCode, p []byte) {
	r.msgs <- recMsg{c: c, op: op, payload: append([]byte(nil), p...)}
	if r.echo {
		echoHandler{}.OnMessage(c, op, p)
	}
}

func (r *recorder) OnClose(c *Conn, code uint16) {
	r.mu.Lock()
	r.nClose[c]++
	r.codes[c] = code
	dev := r.devices[c]
	r.mu.Unlock()
	r.closes <- recClose{c: c, deviceID: dev, code: code}
}

// waitClose waits for OnClose of c and returns its code.
func (r *recorder) waitClose(t testing.TB, c *Conn) uint16 {
	t.Helper()
	var code uint16
	testutil.Eventually(t, testWait, func() error {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.nClose[c] == 0 {
			return errors.New("no OnClose yet")
		}
		code = r.codes[c]
		return nil
	})
	return code
}

// closeCounts returns how many times OnClose ran for each connection that
// OnOpen saw.
func (r *recorder) closeCounts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.devices))
	for c, dev := range r.devices {
		out[dev] += r.nClose[c]
	}
	return out
}

// nextOpen waits for the next OnOpen.
func (r *recorder) nextOpen(t testing.TB) (*Conn, Request) {
	t.Helper()
	req := testutil.WaitChan(t, r.opens, "OnOpen")
	return <-r.conns, req
}

// nextClose waits for the next OnClose.
func (r *recorder) nextClose(t testing.TB) recClose {
	t.Helper()
	return testutil.WaitChan(t, r.closes, "OnClose")
}

// nextMsg waits for the next OnMessage.
func (r *recorder) nextMsg(t testing.TB) recMsg {
	t.Helper()
	return testutil.WaitChan(t, r.msgs, "OnMessage")
}

// asciiPayload returns n printable bytes that differ from position to
// position, so that a misplaced byte shows.
func asciiPayload(n int) []byte {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[(i*7+i/len(alphabet))%len(alphabet)]
	}
	return b
}

// hasToken reports whether a comma-separated header value holds tok.
func hasToken(v, tok string) bool {
	for f := range strings.SplitSeq(v, ",") {
		if strings.EqualFold(strings.TrimSpace(f), tok) {
			return true
		}
	}
	return false
}
