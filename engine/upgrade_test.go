package engine

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/imgate/gateway/internal/testutil"
)

func TestUpgradeAccept(t *testing.T) {
	rec := newRecorder(true)
	srv := startServer(t, rec, testOptions())
	c := dialRaw(t, srv.Addr())
	c.key = "dGhlIHNhbXBsZSBub25jZQ==" // RFC 6455 §1.3's example
	c.send(upgradeHead("/chat", c.key))
	resp := c.readResponse()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d, want 101", resp.StatusCode)
	}
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("Sec-WebSocket-Accept %q", got)
	}
	if !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") || !hasToken(resp.Header.Get("Connection"), "upgrade") {
		t.Fatalf("Upgrade %q Connection %q", resp.Header.Get("Upgrade"), resp.Header.Get("Connection"))
	}
	if p := resp.Header.Get("Sec-WebSocket-Protocol"); p != "" {
		t.Fatalf("unasked Sec-WebSocket-Protocol %q", p)
	}
	_, req := rec.nextOpen(t)
	if req != (Request{}) {
		t.Fatalf("request %+v, want zero", req)
	}
	c.send(msg(OpText, []byte("hello")))
	c.expectMessage(OpText, []byte("hello"))
	if n := srv.Stats().Upgrades.Load(); n != 1 {
		t.Fatalf("Upgrades = %d", n)
	}
}

// TestUpgradeSegmentation sends the head and the frames after it one byte
// per TCP segment, and all of it in a single write: the bytes after the head
// must be kept and handled either way.
func TestUpgradeSegmentation(t *testing.T) {
	srv := startServer(t, echoHandler{}, testOptions())
	for _, tc := range []struct {
		name  string
		chunk int
	}{
		{"byte per segment", 1},
		{"three bytes per segment", 3},
		{"one write", 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, srv.Addr())
			in := cat(c.request("/?device_id=d1"), msg(OpText, []byte("first")),
				msg(OpBinary, asciiPayload(200)), msg(OpPing, []byte("p")), msg(OpText, nil))
			c.sendChunks(in, tc.chunk)
			c.expectUpgrade()
			c.expectMessage(OpText, []byte("first"))
			c.expectMessage(OpBinary, asciiPayload(200))
			c.expectMessage(OpPong, []byte("p"))
			c.expectMessage(OpText, nil)
		})
	}
}

// TestUpgradeHeadWithPartialFrame sends the head, one frame and half of the
// next in one write.
func TestUpgradeHeadWithPartialFrame(t *testing.T) {
	srv := startServer(t, echoHandler{}, testOptions())
	c := dialRaw(t, srv.Addr())
	second := msg(OpText, []byte("second message"))
	c.send(cat(c.request("/"), msg(OpText, []byte("first")), second[:5]))
	c.expectUpgrade()
	c.expectMessage(OpText, []byte("first"))
	c.send(second[5:])
	c.expectMessage(OpText, []byte("second message"))
}

func TestUpgradeToken(t *testing.T) {
	rec := newRecorder(false)
	srv := startServer(t, rec, testOptions())
	const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln-_x"
	for _, tc := range []struct {
		name      string
		target    string
		headers   []string
		token     string
		source    TokenSource
		wantProto string
	}{
		{name: "none", target: "/"},
		{name: "query", target: "/?token=" + jwt, token: jwt, source: TokenQuery},
		{name: "query percent-encoded", target: "/ws?a=1&token=ab%2Fc%3D%3d+d&b=2", token: "ab/c== d", source: TokenQuery},
		{name: "query first of two", target: "/?token=one&token=two", token: "one", source: TokenQuery},
		{name: "authorization", target: "/", headers: []string{"Authorization: Bearer " + jwt}, token: jwt, source: TokenHeader},
		{name: "authorization lower case", target: "/", headers: []string{"authorization: bearer " + jwt}, token: jwt, source: TokenHeader},
		{name: "authorization basic ignored", target: "/", headers: []string{"Authorization: Basic dXNlcjpwYXNz"}},
		{
			name: "subprotocol with gateway.v1", target: "/",
			headers: []string{"Sec-WebSocket-Protocol: gateway.v1, bearer." + jwt},
			token:   jwt, source: TokenSubprotocol, wantProto: "gateway.v1",
		},
		{
			name: "subprotocol bearer first", target: "/",
			headers: []string{"Sec-WebSocket-Protocol: bearer." + jwt + ", gateway.v1"},
			token:   jwt, source: TokenSubprotocol, wantProto: "gateway.v1",
		},
		{
			name: "subprotocol bearer only", target: "/",
			headers: []string{"Sec-WebSocket-Protocol: bearer." + jwt},
			token:   jwt, source: TokenSubprotocol,
		},
		{
			name: "subprotocol unknown only", target: "/",
			headers: []string{"Sec-WebSocket-Protocol: chat.v2"},
		},
		{
			name: "query beats header and subprotocol", target: "/?token=q",
			headers: []string{"Authorization: Bearer h", "Sec-WebSocket-Protocol: gateway.v1, bearer.s"},
			token:   "q", source: TokenQuery, wantProto: "gateway.v1",
		},
		{
			name: "header beats subprotocol", target: "/",
			headers: []string{"Sec-WebSocket-Protocol: gateway.v1, bearer.s", "Authorization: Bearer h"},
			token:   "h", source: TokenHeader, wantProto: "gateway.v1",
		},
		{
			name: "empty query token falls through", target: "/?token=",
			headers: []string{"Authorization: Bearer h"},
			token:   "h", source: TokenHeader,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, srv.Addr())
			c.send(c.request(tc.target, tc.headers...))
			resp := c.expectUpgrade()
			if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != tc.wantProto {
				t.Errorf("Sec-WebSocket-Protocol %q, want %q", got, tc.wantProto)
			}
			for k, vs := range resp.Header {
				for _, v := range vs {
					if strings.Contains(v, "bearer") || tc.token != "" && strings.Contains(v, tc.token) && len(tc.token) > 2 {
						t.Errorf("response header %s: %q echoes the token", k, v)
					}
				}
			}
			_, req := rec.nextOpen(t)
			if req.Token != tc.token || req.TokenSource != tc.source {
				t.Errorf("token %q from %v, want %q from %v", req.Token, req.TokenSource, tc.token, tc.source)
			}
		})
	}
}

// TestUpgradeTokenLongHead puts several KiB of headers after the token: the
// token must survive the upgrader's buffer refills.
func TestUpgradeTokenLongHead(t *testing.T) {
	rec := newRecorder(false)
	srv := startServer(t, rec, testOptions())
	pad := strings.Repeat("x", 1000)
	var padding []string
	for i := range 6 {
		padding = append(padding, "X-Pad-"+string(rune('a'+i))+": "+pad)
	}
	const tok = "tok.en-value_0123456789"
	for _, tc := range []struct {
		name    string
		target  string
		headers []string
		source  TokenSource
	}{
		{"query", "/?token=" + tok + "&device_id=dev.1", padding, TokenQuery},
		{"query escaped", "/?token=tok%2Een-value_0123456789", padding, TokenQuery},
		{"authorization", "/", append([]string{"Authorization: Bearer " + tok}, padding...), TokenHeader},
		{"subprotocol", "/", append([]string{"Sec-WebSocket-Protocol: gateway.v1, bearer." + tok}, padding...), TokenSubprotocol},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, srv.Addr())
			head := c.request(tc.target, tc.headers...)
			if len(head) < 6000 || len(head) > 8<<10 {
				t.Fatalf("head is %d bytes", len(head))
			}
			c.send(head)
			c.expectUpgrade()
			_, req := rec.nextOpen(t)
			if req.Token != tok || req.TokenSource != tc.source {
				t.Fatalf("token %q from %v, want %q from %v", req.Token, req.TokenSource, tok, tc.source)
			}
		})
	}
}

func TestUpgradeParams(t *testing.T) {
	rec := newRecorder(false)
	srv := startServer(t, rec, testOptions())
	long64 := strings.Repeat("a", 64)
	for _, tc := range []struct {
		name     string
		target   string
		status   int // 0: upgrade
		device   string
		platform string
	}{
		{name: "both", target: "/?token=t&device_id=web001&platform=web", device: "web001", platform: "web"},
		{name: "all allowed characters", target: "/?device_id=AZaz09_.:-", device: "AZaz09_.:-"},
		{name: "percent-encoded", target: "/?platform=i%4Fs", platform: "iOs"},
		{name: "64 bytes", target: "/?device_id=" + long64, device: long64},
		{name: "65 bytes", target: "/?device_id=" + long64 + "b", status: 400},
		{name: "space", target: "/?device_id=a%20b", status: 400},
		{name: "plus is a space", target: "/?platform=a+b", status: 400},
		{name: "slash", target: "/?platform=a%2Fb", status: 400},
		{name: "non-ASCII", target: "/?device_id=%C3%A9", status: 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, srv.Addr())
			c.send(c.request(tc.target))
			if tc.status != 0 {
				c.expectStatus(tc.status)
				return
			}
			c.expectUpgrade()
			_, req := rec.nextOpen(t)
			if req.DeviceID != tc.device || req.Platform != tc.platform {
				t.Fatalf("device %q platform %q, want %q %q", req.DeviceID, req.Platform, tc.device, tc.platform)
			}
		})
	}
	if n := len(rec.opens); n != 0 {
		t.Fatalf("%d unexpected OnOpen calls", n)
	}
}

func TestUpgradeRefused(t *testing.T) {
	srv := startServer(t, newRecorder(false), testOptions())
	key := "dGhlIHNhbXBsZSBub25jZQ=="
	valid := string(upgradeHead("/", key))
	for _, tc := range []struct {
		name   string
		head   string
		status int
	}{
		{"plain GET", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"no key", strings.Replace(valid, "Sec-WebSocket-Key: "+key+"\r\n", "", 1), 400},
		{"short key", strings.Replace(valid, key, "abc", 1), 400},
		{"no host", strings.Replace(valid, "Host: 127.0.0.1\r\n", "", 1), 400},
		{"upgrade h2c", strings.Replace(valid, "Upgrade: websocket", "Upgrade: h2c", 1), 400},
		{"garbage", "\x00\x01\x02 junk\r\n\r\n", 400},
		{"POST", strings.Replace(valid, "GET", "POST", 1), 405},
		{"version 8", strings.Replace(valid, "Version: 13", "Version: 8", 1), 426},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, srv.Addr())
			c.send([]byte(tc.head))
			c.expectStatus(tc.status)
		})
	}
	testutil.Eventually(t, testWait, statsZero(srv.Server))
	if n := srv.Stats().Upgrades.Load(); n != 0 {
		t.Fatalf("Upgrades = %d", n)
	}
}

// TestUpgradeHeadLimit: a head of exactly MaxHeadBytes passes, one byte
// more is a 431 and the connection is closed.
func TestUpgradeHeadLimit(t *testing.T) {
	srv := startServer(t, echoHandler{}, testOptions())
	max := srv.Options().MaxHeadBytes
	padded := func(c *wsClient, size int) []byte {
		head := c.request("/")
		fill := size - len(head) - len("X-Pad: \r\n")
		return c.request("/", "X-Pad: "+strings.Repeat("p", fill))
	}
	t.Run("at the limit", func(t *testing.T) {
		c := dialRaw(t, srv.Addr())
		head := padded(c, max)
		if len(head) != max {
			t.Fatalf("head %d bytes, want %d", len(head), max)
		}
		c.send(head)
		c.expectUpgrade()
	})
	t.Run("one byte over", func(t *testing.T) {
		c := dialRaw(t, srv.Addr())
		c.send(padded(c, max+1))
		c.expectStatus(http.StatusRequestHeaderFieldsTooLarge)
	})
	t.Run("never ending", func(t *testing.T) {
		c := dialRaw(t, srv.Addr())
		c.send([]byte("GET / HTTP/1.1\r\nX-Pad: "))
		c.trySend(bytes.Repeat([]byte("p"), max+100))
		c.expectStatus(http.StatusRequestHeaderFieldsTooLarge)
	})
	testutil.Eventually(t, testWait, statsZero(srv.Server))
}

func TestHandshakeTimeout(t *testing.T) {
	o := testOptions()
	o.HandshakeTimeout = 300 * time.Millisecond
	rec := newRecorder(false)
	srv := startServer(t, rec, o)
	c := dialRaw(t, srv.Addr())
	c.send([]byte("GET / HTTP/1.1\r\nHost: x\r\n"))
	c.expectEOF()
	testutil.Eventually(t, testWait, statsZero(srv.Server))
	if len(rec.opens) != 0 || len(rec.closes) != 0 {
		t.Fatal("handler saw a connection that never upgraded")
	}
}

func TestMaxConns(t *testing.T) {
	o := testOptions()
	o.MaxConns = 2
	srv := startServer(t, echoHandler{}, o)
	a := dialWS(t, srv.Addr(), "/")
	b := dialWS(t, srv.Addr(), "/")

	over := dialRaw(t, srv.Addr())
	over.trySend(over.request("/"))
	resp := over.expectStatus(http.StatusServiceUnavailable)
	if resp.Header.Get("Retry-After") == "" {
		t.Fatal("503 without Retry-After")
	}
	b.send(msg(OpText, []byte("still here")))
	b.expectMessage(OpText, []byte("still here"))

	_ = a.nc.Close()
	testutil.Eventually(t, testWait, func() error {
		if n := srv.Stats().Conns.Load(); n >= 2 {
			return fmt.Errorf("Conns = %d", n)
		}
		return nil
	})
	d := dialWS(t, srv.Addr(), "/")
	d.send(msg(OpText, []byte("welcome")))
	d.expectMessage(OpText, []byte("welcome"))
	if n := srv.Stats().Rejected.Load(); n != 1 {
		t.Fatalf("Rejected = %d, want 1", n)
	}
}
