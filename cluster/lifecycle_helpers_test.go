package cluster_test

import (
	"testing"

	"github.com/imgate/gateway/internal/testutil"
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
	b := r.BodyMap(t)
	return tokens{access: b["access_token"].(string), refresh: b["refresh_token"].(string)}
}

// refreshHTTP spends a refresh token over n's HTTP API.
func (n *node) refreshHTTP(t testing.TB, refresh string) (int, reply) {
	t.Helper()
	return n.post(t, "/api/refresh-token", "", `{"refresh_token":"`+refresh+`"}`)
}

// dialToken opens a session on n with an access token and returns the
// client and its first frame.
func (n *node) dialToken(t testing.TB, tok, device, platform string) (*testutil.Client, reply) {
	t.Helper()
	return n.g.DialToken(t, tok, device, platform, testutil.WithName(device+"@"+n.name))
}

// session opens an authenticated session with tok and returns it.
func (n *node) session(t testing.TB, tok, device, platform string) *testutil.Client {
	t.Helper()
	c, r := n.dialToken(t, tok, device, platform)
	if r.Code != 200 {
		t.Fatalf("%s: first frame %+v", c.Name, r)
	}
	return c
}

// alive checks that c is still open: a SEND to nobody is answered.
func alive(c *testutil.Client, seq int) {
	c.T.Helper()
	c.Say(seq, "nobody-"+c.Name, "ping")
	for {
		r := c.Read()
		if r.CmdID == 2001 && int(r.Seq) == seq {
			return
		}
		if r.CmdID == 3003 {
			c.T.Fatalf("%s: kicked: %+v", c.Name, r)
		}
	}
}
