package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/imgate/gateway/internal/testutil/authtest"
)

// rawUpgrade sends an upgrade request for target to addr and returns the
// HTTP response head.
func rawUpgrade(t *testing.T, addr, target string) *http.Response {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, testWait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(testWait))
	req := "GET " + target + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := nc.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", strings.SplitN(target, "?", 2)[0], err)
	}
	return resp
}

// TestWSPathAndRejectBadToken runs the gateway with -ws-path /ws and
// -reject-bad-token: other paths get 404, a bad or expired token 401 with
// WWW-Authenticate, a good token and no token upgrade and get their first
// frames.
func TestWSPathAndRejectBadToken(t *testing.T) {
	p := startGateway(t, 0, "-ws-path", "/ws", "-reject-bad-token")
	good, expired := authtest.Mint(t, []byte(testSecret), "alice", 0), authtest.Mint(t, []byte(testSecret), "alice", time.Hour)
	for _, tc := range []struct {
		name, target string
		status       int
	}{
		{"root path", "/?token=" + good, http.StatusNotFound},
		{"other path", "/chat", http.StatusNotFound},
		{"bad token", "/ws?token=not.a.jwt", http.StatusUnauthorized},
		{"expired token", "/ws?token=" + expired, http.StatusUnauthorized},
		{"good token", "/ws?token=" + good, http.StatusSwitchingProtocols},
		{"no token", "/ws", http.StatusSwitchingProtocols},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := rawUpgrade(t, p.ws, tc.target)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			auth := resp.Header.Get("WWW-Authenticate")
			if tc.status == http.StatusUnauthorized && auth != `Bearer error="invalid_token"` {
				t.Fatalf("WWW-Authenticate %q", auth)
			}
		})
	}
	// The refusals are counted by reason.
	_, metrics := p.get("/metrics")
	for _, want := range []string{`imgate_handshakes_total{result="not_found"} 2`, `imgate_handshakes_total{result="unauthorized"} 2`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// The upgrades that passed are sessions with the usual first frames.
	_, first := dialWS(t, p.ws, "ws?token="+good)
	if body, _ := first["body"].(map[string]any); first["code"] != 200.0 || body["user_id"] != "alice" {
		t.Fatalf("first frame %v, want 200 for alice", first)
	}
	_, first = dialWS(t, p.ws, "ws")
	if body, _ := first["body"].(map[string]any); first["code"] != 200.0 || body["user_id"] != nil {
		t.Fatalf("first frame %v, want the anonymous 200", first)
	}
}

// TestDefaultUpgradeUnchanged: without the flags any path upgrades and a
// bad or expired token gets the seed's in-band 401 first frame.
func TestDefaultUpgradeUnchanged(t *testing.T) {
	p := startGateway(t, 0)
	for _, q := range []string{"anything?token=not.a.jwt", "?token=" + authtest.Mint(t, []byte(testSecret), "alice", time.Hour)} {
		_, first := dialWS(t, p.ws, q)
		if first["code"] != 401.0 {
			t.Fatalf("first frame %v, want code 401", first)
		}
	}
}

// TestWSPathFlagChecked: -ws-path must be a path; both flags default off.
func TestWSPathFlagChecked(t *testing.T) {
	t.Setenv("GATEWAY_JWT_SECRET", testSecret)
	var o options
	if err := o.parse(nil, io.Discard); err != nil || o.wsPath != "" || o.rejectBadToken {
		t.Fatalf("defaults: ws-path %q reject-bad-token %v, err %v", o.wsPath, o.rejectBadToken, err)
	}
	for _, bad := range []string{"ws", "/ws?x=1", "/a b"} {
		var o options
		if err := o.parse([]string{"-ws-path", bad}, io.Discard); err == nil || !strings.Contains(err.Error(), "-ws-path") {
			t.Errorf("-ws-path %q: err %v, want a -ws-path error", bad, err)
		}
	}
}
