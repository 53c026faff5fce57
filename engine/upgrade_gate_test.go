package engine

import (
	"net/http"
	"strings"
	"sync"
	"testing"
)

// TestWSPath: with Admission.WSPath only that path upgrades; any other,
// with or without a query, gets 404 before the upgrade and is counted.
func TestWSPath(t *testing.T) {
	o := testOptions()
	o.Admission.WSPath = "/ws"
	srv := startServer(t, echoHandler{}, o)
	for _, tc := range []struct {
		target string
		status int
	}{
		{"/ws", http.StatusSwitchingProtocols},
		{"/ws?token=x&device_id=d1", http.StatusSwitchingProtocols},
		{"/", http.StatusNotFound},
		{"/ws/", http.StatusNotFound},
		{"/wsx?token=x", http.StatusNotFound},
		{"/api/login", http.StatusNotFound},
	} {
		t.Run(tc.target, func(t *testing.T) {
			c := dialRaw(t, srv.Addr())
			c.send(c.request(tc.target))
			if tc.status == http.StatusSwitchingProtocols {
				c.expectUpgrade()
				c.send(msg(OpText, []byte("on /ws")))
				if f, err := c.readFrame(); err != nil || string(f.payload) != "on /ws" {
					t.Fatalf("echo %q, %v; want %q", f.payload, err, "on /ws")
				}
				return
			}
			c.expectStatus(tc.status)
		})
	}
	if r := srv.Refusals(); r.NotFound != 4 {
		t.Fatalf("Refusals %+v, want NotFound 4", r)
	}
}

// TestAnyPathByDefault: without WSPath every path upgrades (PROTOCOL.md §1).
func TestAnyPathByDefault(t *testing.T) {
	srv := startServer(t, echoHandler{}, testOptions())
	for _, target := range []string{"/", "/ws", "/some/where?x=1"} {
		c := dialRaw(t, srv.Addr())
		c.send(c.request(target))
		c.expectUpgrade()
	}
	if r := srv.Refusals(); r != (Refusals{}) {
		t.Fatalf("Refusals %+v, want none", r)
	}
}

// tokenGate is an echo handler that is a TokenChecker accepting only the
// token "good", and records the tokens it was asked about.
type tokenGate struct {
	echoHandler
	mu    sync.Mutex
	asked []string
}

func (g *tokenGate) CheckToken(loop int, req *Request) bool {
	g.mu.Lock()
	g.asked = append(g.asked, strings.Clone(req.Token)) // valid only during CheckToken
	g.mu.Unlock()
	return req.Token == "good"
}

// TestTokenChecker: a refused token gets 401 with the RFC 6750 header and no
// upgrade; an accepted one and a request without a token upgrade; the
// checker is never asked about a request without a token.
func TestTokenChecker(t *testing.T) {
	g := &tokenGate{}
	srv := startServer(t, g, testOptions())
	for _, tc := range []struct {
		name    string
		target  string
		headers []string
		status  int
	}{
		{"good query", "/?token=good", nil, http.StatusSwitchingProtocols},
		{"no token", "/", nil, http.StatusSwitchingProtocols},
		{"bad query", "/?token=bad", nil, http.StatusUnauthorized},
		{"bad header", "/", []string{"Authorization: Bearer bad"}, http.StatusUnauthorized},
		{"bad subprotocol", "/", []string{"Sec-WebSocket-Protocol: gateway.v1, bearer.bad"}, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, srv.Addr())
			c.send(c.request(tc.target, tc.headers...))
			if tc.status == http.StatusSwitchingProtocols {
				c.expectUpgrade()
				return
			}
			resp := c.expectStatus(tc.status)
			if got, want := resp.Header.Get("WWW-Authenticate"), `Bearer error="invalid_token"`; got != want {
				t.Fatalf("WWW-Authenticate %q, want %q", got, want)
			}
		})
	}
	if r := srv.Refusals(); r.Unauthorized != 3 || r.BadRequest != 0 {
		t.Fatalf("Refusals %+v, want Unauthorized 3", r)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.asked) != 4 {
		t.Fatalf("checker asked about %q, want the 4 requests with a token", g.asked)
	}
}
