package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/internal/testutil"
	"github.com/imgate/gateway/internal/testutil/authtest"
)

// connectDevice connects as user on device/platform with a LOGIN and
// returns the client and its tokens.
func (st *stack) connectDevice(t *testing.T, user, pass, device, platform string) (*testutil.Client, tokens) {
	t.Helper()
	c := testutil.Dial(t, st.url+"?device_id="+device+"&platform="+platform)
	c.Read()
	return c, tokensOf(t, c.Login(user, pass, 1))
}

// expectAlive checks that c is still an authenticated session.
func expectAlive(t *testing.T, c *testutil.Client) {
	t.Helper()
	c.Send(map[string]any{"cmd_id": 2001, "seq": 99, "body": map[string]any{"to_uid": "nobody", "content": 1}})
	for {
		r := c.Read()
		if r.CmdID == 3001 {
			continue // a message of another test step
		}
		if r.Seq != 99 || r.Code != 200 {
			t.Fatalf("session not alive: %+v", r)
		}
		return
	}
}

func TestLoginPolicies(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy Policy
		max    int
		// devices log in in this order, as "device/platform"
		devices []string
		kicked  map[string]string // device → reason
	}{
		{name: "multi unlimited", policy: PolicyMulti, devices: []string{"d1/web", "d2/web", "d3/ios"}},
		{name: "multi max 2", policy: PolicyMulti, max: 2, devices: []string{"d1/web", "d2/web", "d3/ios", "d4/ios"},
			kicked: map[string]string{"d1": reasonTooMany, "d2": reasonTooMany}},
		{name: "single", policy: PolicySingle, devices: []string{"d1/web", "d2/ios", "d3/android"},
			kicked: map[string]string{"d1": reasonOtherDevice, "d2": reasonOtherDevice}},
		{name: "per-platform", policy: PolicyPerPlatform, devices: []string{"d1/web", "d2/ios", "d3/web", "d4/android"},
			kicked: map[string]string{"d1": reasonOtherDevice}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := defaultStackOptions()
			o.gwEdit = func(c *Config) { c.LoginPolicy, c.MaxSessionsPerUser = tc.policy, tc.max }
			st := startStack(t, o)
			clients := map[string]*testutil.Client{}
			toks := map[string]tokens{}
			for _, d := range tc.devices {
				dev, platform, _ := strings.Cut(d, "/")
				clients[dev], toks[dev] = st.connectDevice(t, "alice", "alice123", dev, platform)
			}
			for _, d := range tc.devices {
				dev, _, _ := strings.Cut(d, "/")
				reason, kicked := tc.kicked[dev]
				if !kicked {
					expectAlive(t, clients[dev])
					continue
				}
				clients[dev].ExpectKicked(reason)
				// A kicked device cannot refresh its way back, nor reconnect.
				if status, _, _ := st.post(t, "/api/refresh-token", map[string]any{"refresh_token": toks[dev].refresh}, nil); status != 401 {
					t.Fatalf("%s refreshed after its kick: %d", dev, status)
				}
				if _, r := st.connectWith(t, toks[dev].access, dev); r.Code != 401 {
					t.Fatalf("%s reconnected after its kick: %+v", dev, r)
				}
			}
		})
	}
}

func TestParsePolicy(t *testing.T) {
	for _, s := range []string{"multi", "single", "per-platform"} {
		if p, err := ParsePolicy(s); err != nil || string(p) != s {
			t.Fatalf("ParsePolicy(%q) = %q, %v", s, p, err)
		}
	}
	if _, err := ParsePolicy("one"); err == nil {
		t.Fatal("ParsePolicy accepted an unknown policy")
	}
}

// A key rotated out of "current" still verifies the tokens it signed.
func TestRotatedKeyStillVerifies(t *testing.T) {
	set := func(current string, kids ...string) *auth.KeySet {
		ks := &auth.KeySet{Current: current}
		for _, kid := range kids {
			k, err := auth.HMACKey(kid, "HS256", []byte(strings.Repeat(kid, 20)))
			if err != nil {
				t.Fatal(err)
			}
			ks.Keys = append(ks.Keys, k)
		}
		return ks
	}
	o := defaultStackOptions()
	o.authEdit = func(c *auth.Config) { c.Keys = set("k1", "k1") }
	st := startStack(t, o)
	old := st.httpLogin(t, "alice", "alice123")
	if err := st.auth.SetKeys(set("k2", "k1", "k2")); err != nil {
		t.Fatal(err)
	}
	if _, r := st.connectWith(t, old.access, ""); r.Code != 200 {
		t.Fatalf("token of the previous key: %+v", r)
	}
	fresh := st.httpLogin(t, "bob", "bob123")
	if _, r := st.connectWith(t, fresh.access, ""); r.Code != 200 {
		t.Fatalf("token of the current key: %+v", r)
	}
	if err := st.auth.SetKeys(set("k2", "k2")); err != nil {
		t.Fatal(err)
	}
	if _, r := st.connectWith(t, old.access, ""); r.Code != 401 {
		t.Fatalf("token of a removed key: %+v", r)
	}
}

// An external auth service signs RS256 tokens with its private key; the
// gateway holds only the public key and verifies them.
func TestExternalRS256Token(t *testing.T) {
	priv, pubPEM := authtest.RSAKey(t)
	key, err := auth.KeyFromPEM("idp-2026", "RS256", pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	o := defaultStackOptions()
	o.authEdit = func(c *auth.Config) { c.Keys = &auth.KeySet{Keys: []auth.Key{key}} }
	st := startStack(t, o)
	sign := func(method jwt.SigningMethod, kid string, k any) string {
		tok := jwt.NewWithClaims(method, jwt.MapClaims{"sub": "carol", "exp": time.Now().Add(time.Hour).Unix(), "did": "tablet"})
		tok.Header["kid"] = kid
		s, err := tok.SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	_, r := st.connectWith(t, sign(jwt.SigningMethodRS256, "idp-2026", priv), "tablet")
	if r.Code != 200 || r.BodyMap(t)["user_id"] != "carol" {
		t.Fatalf("external RS256 token: %+v", r)
	}
	for name, tok := range map[string]string{
		"HS256 keyed with the public key": sign(jwt.SigningMethodHS256, "idp-2026", pubPEM),
		"unknown kid":                     sign(jwt.SigningMethodRS256, "idp-2025", priv),
	} {
		if _, r := st.connectWith(t, tok, "tablet"); r.Code != 401 || r.ErrMsg != "Token authentication failed. Please login." {
			t.Fatalf("%s: %+v", name, r)
		}
	}
}
