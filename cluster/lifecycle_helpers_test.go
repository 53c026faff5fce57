package cluster_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

// tokens are what a login returns.
type tokens struct {
	access, refresh string
}

// login logs user in over n's HTTP API (demo accounts).
func (n *node) login(t testing.TB, user, pass, device string) tokens {
	t.Helper()
	status, r := n.post(t, "/api/login", "", `{"username":"`+user+`","password":"`+pass+`","device_id":"`+device+`"}`)
	if status != 200 {
		t.Fatalf("%s: login %s: %d %+v", n.name, user, status, r)
	}
	b := r.body(t)
	return tokens{access: b["access_token"].(string), refresh: b["refresh_token"].(string)}
}

// refreshHTTP spends a refresh token over n's HTTP API.
func (n *node) refreshHTTP(t testing.TB, refresh string) (int, reply) {
	t.Helper()
	return n.post(t, "/api/refresh-token", "", `{"refresh_token":"`+refresh+`"}`)
}

// dialToken opens a session on n with an access token and returns the
// client and its first frame.
func (n *node) dialToken(t testing.TB, tok, device, platform string) (*client, reply) {
	t.Helper()
	d := ws.Dialer{Timeout: testWait}
	conn, br, _, err := d.Dial(context.Background(), n.url+"?device_id="+device+"&platform="+platform+"&token="+tok)
	if err != nil {
		t.Fatalf("dial %s: %v", n.name, err)
	}
	t.Cleanup(func() { conn.Close() })
	if br == nil {
		br = bufio.NewReader(conn)
	}
	c := &client{t: t, name: device + "@" + n.name, conn: conn, rd: br}
	return c, c.read()
}

// session opens an authenticated session with tok and returns it.
func (n *node) session(t testing.TB, tok, device, platform string) *client {
	t.Helper()
	c, r := n.dialToken(t, tok, device, platform)
	if r.Code != 200 {
		t.Fatalf("%s: first frame %+v", c.name, r)
	}
	return c
}

// expectKicked reads until a 3003 push, checks its reason, then expects
// close 4003.
func (c *client) expectKicked(reason string) {
	c.t.Helper()
	for {
		r := c.read()
		if r.CmdID != 3003 {
			continue
		}
		if got := r.body(c.t)["reason"]; got != reason {
			c.t.Fatalf("%s: 3003 %+v, want reason %q", c.name, r, reason)
		}
		break
	}
	if code := c.closeCode(); code != 4003 {
		c.t.Fatalf("%s: close %d after 3003, want 4003", c.name, code)
	}
}

// closeCode reads until the server's close frame and returns its code.
func (c *client) closeCode() int {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(testWait))
	for {
		h, err := ws.ReadHeader(c.rd)
		if err != nil {
			c.t.Fatalf("%s: no close frame: %v", c.name, err)
		}
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(c.rd, p); err != nil {
			c.t.Fatalf("%s: read: %v", c.name, err)
		}
		if h.OpCode == ws.OpClose {
			if len(p) < 2 {
				return 1005
			}
			return int(p[0])<<8 | int(p[1])
		}
	}
}

// alive checks that c is still open: a SEND to nobody is answered.
func (c *client) alive(seq int) {
	c.t.Helper()
	c.say(seq, "nobody-"+c.name, "ping")
	for {
		r := c.read()
		if r.CmdID == 2001 && int(r.Seq) == seq {
			return
		}
		if r.CmdID == 3003 {
			c.t.Fatalf("%s: kicked: %+v", c.name, r)
		}
	}
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
