package engine

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imgate/gateway/internal/testlog"
	"github.com/imgate/gateway/internal/testutil"
)

func TestOriginList(t *testing.T) {
	l := newOriginList([]string{"https://chat.example.com", "http://localhost:3000/", "https://*.example.org"})
	for _, tc := range []struct {
		origin string
		want   bool
	}{
		{"https://chat.example.com", true},
		{"HTTPS://Chat.Example.com", true},
		{"https://chat.example.com/", true},
		{"http://chat.example.com", false},
		{"https://chat.example.com:8443", false},
		{"https://evil.com", false},
		{"https://chat.example.com.evil.com", false},
		{"http://localhost:3000", true},
		{"http://localhost:3001", false},
		{"https://example.org", true},
		{"https://a.b.example.org", true},
		{"https://badexample.org", false},
		{"https://.example.org", false},
		{"http://a.example.org", false},
		{"https://a.example.org:444", false},
		{"null", false},
		{"", false},
	} {
		t.Run(tc.origin, func(t *testing.T) {
			if got := l.allow([]byte(tc.origin)); got != tc.want {
				t.Fatalf("allow(%q) = %v, want %v", tc.origin, got, tc.want)
			}
		})
	}
	if newOriginList(nil) != nil {
		t.Fatal("no origins must mean no check")
	}
	if !newOriginList([]string{"*"}).allow([]byte("https://anything")) {
		t.Fatal(`"*" must allow any origin`)
	}
}

func TestIPLimiter(t *testing.T) {
	l := newIPLimiter(10, 3) // 10/s, burst 3
	a := &net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 1}
	sameNet6 := []*net.TCPAddr{{IP: net.ParseIP("2001:db8::1")}, {IP: net.ParseIP("2001:db8::ffff")}}
	now := int64(1e12)
	for i := range 3 {
		if w := l.allow(a, now); w != 0 {
			t.Fatalf("connect %d within the burst waits %v", i, w)
		}
	}
	w := l.allow(a, now)
	if w <= 0 || w > 100*time.Millisecond {
		t.Fatalf("past the burst: wait %v, want (0, 100ms]", w)
	}
	if w := l.allow(&net.TCPAddr{IP: net.ParseIP("192.0.2.2")}, now); w != 0 {
		t.Fatalf("another address waits %v", w)
	}
	if w := l.allow(a, now+int64(100*time.Millisecond)); w != 0 {
		t.Fatalf("after a refill period: wait %v", w)
	}
	for i := range 3 {
		_ = l.allow(sameNet6[i%2], now)
	}
	if w := l.allow(sameNet6[1], now); w == 0 {
		t.Fatal("two addresses of one IPv6 /64 must share a bucket")
	}
	// Full buckets are forgotten by the sweep of their shard.
	for i := range l.shards {
		l.shards[i].sweep(now+2*sweepEvery, l.full)
		if n := len(l.shards[i].buckets); n != 0 {
			t.Fatalf("shard %d keeps %d full buckets after a sweep", i, n)
		}
	}
}

// dialFrom opens a TCP connection to addr from the local IP src.
func dialFrom(t testing.TB, src string, addr net.Addr) *wsClient {
	t.Helper()
	d := net.Dialer{Timeout: testWait, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	nc, err := d.Dial("tcp", addr.String())
	if err != nil {
		t.Fatalf("dial from %s: %v", src, err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return &wsClient{t: t, nc: nc.(*net.TCPConn), br: bufio.NewReaderSize(nc, 64<<10)}
}

func TestAllowedOrigins(t *testing.T) {
	o := testOptions()
	o.Admission.AllowedOrigins = []string{"https://chat.example.com"}
	srv := startServer(t, echoHandler{}, o)
	for _, tc := range []struct {
		name    string
		headers []string
		status  int
	}{
		{"allowed", []string{"Origin: https://chat.example.com"}, http.StatusSwitchingProtocols},
		{"no origin", nil, http.StatusSwitchingProtocols},
		{"other origin", []string{"Origin: https://evil.example.com"}, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, srv.Addr())
			c.send(c.request("/", tc.headers...))
			if tc.status == http.StatusSwitchingProtocols {
				c.expectUpgrade()
				return
			}
			c.expectStatus(tc.status)
		})
	}
	if r := srv.Refusals(); r.Forbidden != 1 {
		t.Fatalf("Refusals %+v, want Forbidden 1", r)
	}
}

func TestIPConnRate(t *testing.T) {
	o := testOptions()
	o.Admission.IPConnRate = 0.01 // one per 100s: the test never sees a refill
	o.Admission.IPConnBurst = 2
	srv := startServer(t, echoHandler{}, o)
	for range 2 {
		c := dialFrom(t, "127.0.0.1", srv.Addr())
		c.send(c.request("/"))
		c.expectUpgrade()
	}
	over := dialFrom(t, "127.0.0.1", srv.Addr())
	over.trySend(over.request("/"))
	resp := over.expectStatus(http.StatusTooManyRequests)
	secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 60 {
		t.Fatalf("Retry-After %q, want 1…60 seconds", resp.Header.Get("Retry-After"))
	}
	// Another address has its own budget.
	other := dialFrom(t, "127.0.0.2", srv.Addr())
	other.send(other.request("/"))
	other.expectUpgrade()
	other.send(msg(OpText, []byte("served")))
	other.expectMessage(OpText, []byte("served"))
	if r := srv.Refusals(); r.TooMany != 1 {
		t.Fatalf("Refusals %+v, want TooMany 1", r)
	}
	// The refusals are reported in one warning a second, not one a
	// connection.
	testutil.Eventually(t, testWait, func() error {
		if !strings.Contains(string(testlog.Lines()), "rate_limited=1") {
			return errors.New("no warning about the refused connection")
		}
		return nil
	})
}

func TestDraining(t *testing.T) {
	o := testOptions()
	o.Admission.RetryAfter = 3 * time.Second
	srv := startServer(t, echoHandler{}, o)
	open := dialWS(t, srv.Addr(), "/")
	half := dialRaw(t, srv.Addr()) // accepted before the drain, head after
	head := half.request("/")
	half.send(head[:10])
	testutil.Eventually(t, testWait, func() error {
		if n := srv.Stats().Conns.Load(); n != 2 {
			return fmt.Errorf("Conns = %d, want 2", n)
		}
		return nil
	})
	srv.SetDraining(true)
	if !srv.Draining() {
		t.Fatal("Draining() false after SetDraining(true)")
	}
	half.send(head[10:])
	if r := half.expectStatus(http.StatusServiceUnavailable); r.Header.Get("Retry-After") != "3" {
		t.Fatalf("Retry-After %q, want 3", r.Header.Get("Retry-After"))
	}
	late := dialRaw(t, srv.Addr())
	late.trySend(late.request("/"))
	late.expectStatus(http.StatusServiceUnavailable)
	open.send(msg(OpText, []byte("still served")))
	open.expectMessage(OpText, []byte("still served"))
	srv.SetDraining(false)
	dialWS(t, srv.Addr(), "/")
	if r := srv.Refusals(); r.Unavailable != 2 {
		t.Fatalf("Refusals %+v, want Unavailable 2", r)
	}
}

// Past MaxConns plus RejectBacklog, sockets are closed without an answer,
// so that refused sockets cannot pile up.
func TestRejectBacklog(t *testing.T) {
	o := testOptions()
	o.MaxConns = 1
	o.Admission.RejectBacklog = 1
	o.CloseTimeout = testWait // refused sockets stay until their peer closes
	srv := startServer(t, echoHandler{}, o)
	a := dialWS(t, srv.Addr(), "/")
	refused := dialRaw(t, srv.Addr()) // held open without reading
	testutil.Eventually(t, testWait, func() error {
		if n := srv.Refusals().Unavailable; n != 1 {
			return fmt.Errorf("Unavailable = %d", n)
		}
		return nil
	})
	dropped := dialRaw(t, srv.Addr())
	_ = dropped.nc.SetReadDeadline(time.Now().Add(testWait))
	if _, err := dropped.br.ReadByte(); err == nil {
		t.Fatal("a socket past the reject backlog got an answer")
	}
	if r := srv.Refusals(); r.Dropped != 1 {
		t.Fatalf("Refusals %+v, want Dropped 1", r)
	}
	refused.expectStatus(http.StatusServiceUnavailable)
	a.send(msg(OpText, []byte("fine")))
	a.expectMessage(OpText, []byte("fine"))
}

func TestHandshakeTimeoutCounted(t *testing.T) {
	o := testOptions()
	o.HandshakeTimeout = 200 * time.Millisecond
	srv := startServer(t, echoHandler{}, o)
	c := dialRaw(t, srv.Addr())
	c.send([]byte("GET / HTTP/1.1\r\n"))
	c.expectEOF()
	testutil.Eventually(t, testWait, func() error {
		if n := srv.Refusals().Timeout; n != 1 {
			return fmt.Errorf("Timeout = %d", n)
		}
		return nil
	})
}

func TestLoopStatsAndEachConn(t *testing.T) {
	rec := newRecorder(true)
	srv := startServer(t, rec, testOptions())
	var clients []*wsClient
	for range 4 {
		c := dialWS(t, srv.Addr(), "/")
		rec.nextOpen(t)
		c.send(msg(OpText, []byte("ping")))
		c.expectMessage(OpText, []byte("ping"))
		drainMsgs(rec)
		clients = append(clients, c)
	}
	var in, out, conns int64
	for _, ls := range srv.LoopStats() {
		in += ls.BytesIn.Load()
		out += ls.BytesOut.Load()
		conns += ls.Conns.Load()
	}
	if in == 0 || out == 0 || conns != 4 {
		t.Fatalf("bytes in %d out %d conns %d", in, out, conns)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	seen := make(chan *Conn, 8)
	if err := srv.EachConn(ctx, func(c *Conn) { seen <- c }); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 4 {
		t.Fatalf("EachConn saw %d connections, want 4", len(seen))
	}
	for range 4 {
		c := <-seen
		c.Close(CloseGoingAway, "bye")
	}
	for _, c := range clients {
		c.expectClose(CloseGoingAway)
	}
	var closes int64
	for _, ls := range srv.LoopStats() {
		ls.CloseCodes(func(code uint16, n int64) {
			if code == CloseGoingAway {
				closes += n
			}
		})
	}
	if closes != 4 {
		t.Fatalf("1001 closes counted %d, want 4", closes)
	}
	for i, d := range srv.LoopDelays(ctx) {
		if d <= 0 || d >= testWait {
			t.Fatalf("loop %d delay %v", i, d)
		}
	}
}
