package gateway

import (
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/internal/testutil/authtest"
	"github.com/imgate/gateway/protocol"
)

// The algorithm pin of a -jwt-keys entry, over a real socket: a token
// signed with the key's own secret or private key under another algorithm
// of the same family gets the first frame 401, while the pinned algorithm
// connects. (auth's TestAlgorithmPin covers every family.)
func TestAlgorithmPinOverSocket(t *testing.T) {
	priv, pubPEM := authtest.RSAKey(t)
	rsaKey, err := auth.KeyFromPEM("idp", "RS256", pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte(strings.Repeat("p", 64))
	hmacKey, err := auth.HMACKey("h512", "HS512", secret)
	if err != nil {
		t.Fatal(err)
	}
	o := defaultStackOptions()
	o.authEdit = func(c *auth.Config) { c.Keys = &auth.KeySet{Keys: []auth.Key{rsaKey, hmacKey}} }
	st := startStack(t, o)
	claims := func(sub string) map[string]any {
		return map[string]any{"sub": sub, "exp": time.Now().Add(time.Hour).Unix()}
	}
	rsaTok := func(m jwt.SigningMethod, sub string) string {
		tok := jwt.NewWithClaims(m, jwt.MapClaims(claims(sub)))
		tok.Header["kid"] = "idp"
		s, err := tok.SignedString(priv)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	hmacTok := func(alg string, h func() hash.Hash, sub string) string {
		return signHMAC(t, map[string]any{"alg": alg, "typ": "JWT", "kid": "h512"}, claims(sub), h, secret)
	}
	for _, tc := range []struct {
		name, token string
		ok          bool
	}{
		{name: "RS256 (pinned)", token: rsaTok(jwt.SigningMethodRS256, "carol"), ok: true},
		{name: "RS512 with the RS256 key's private key", token: rsaTok(jwt.SigningMethodRS512, "carol")},
		{name: "PS256 with the RS256 key's private key", token: rsaTok(jwt.SigningMethodPS256, "carol")},
		{name: "HS512 (pinned)", token: hmacTok("HS512", sha512.New, "dave"), ok: true},
		{name: "HS256 with the HS512 key's secret", token: hmacTok("HS256", sha256.New, "dave")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, r := st.connectWith(t, tc.token, "")
			if tc.ok {
				if r.Code != 200 {
					t.Fatalf("first frame %d %q, want 200", r.Code, r.ErrMsg)
				}
				return
			}
			if r.Code != 401 || r.ErrMsg != protocol.MsgTokenInvalid {
				t.Fatalf("first frame %d %s, want 401 %q", r.Code, r.Body, protocol.MsgTokenInvalid)
			}
		})
	}
}
