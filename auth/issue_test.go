package auth

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestIssueAccess(t *testing.T) {
	for _, tc := range []struct {
		name, iss, aud, device string
		want                   map[string]any // claims besides exp, iat, jti
	}{
		{name: "plain", want: map[string]any{"sub": "user123"}},
		{name: "device", device: "web001", want: map[string]any{"sub": "user123", "did": "web001"}},
		{name: "iss and aud", iss: "gw", aud: "chat", want: map[string]any{"sub": "user123", "iss": "gw", "aud": []any{"chat"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newTestManager(t, func(c *Config) { c.Issuer, c.Audience = tc.iss, tc.aud })
			token, exp, err := m.IssueAccess("user123", tc.device)
			if err != nil {
				t.Fatal(err)
			}
			if want := testNow.Add(15 * time.Minute); !exp.Equal(want) {
				t.Fatalf("expiresAt = %v, want %v", exp, want)
			}
			hdr, claims := decodeToken(t, token)
			if hdr != `{"alg":"HS256","typ":"JWT"}` {
				t.Fatalf("header = %s", hdr)
			}
			checkIssuedClaims(t, claims, tc.want, exp)
			got, err := m.Verify(token)
			if err != nil || got.UserID != "user123" || got.DeviceID != tc.device || !got.ExpiresAt.Equal(exp) {
				t.Fatalf("Verify = %+v, %v", got, err)
			}
		})
	}
}

func checkIssuedClaims(t *testing.T, claims, want map[string]any, exp time.Time) {
	t.Helper()
	if claims["exp"] != float64(exp.Unix()) || claims["iat"] != float64(testNow.Unix()) {
		t.Fatalf("exp, iat = %v, %v", claims["exp"], claims["iat"])
	}
	if jti, _ := claims["jti"].(string); len(jti) != 22 {
		t.Fatalf("jti = %q, want 22 base64url bytes", jti)
	}
	for _, k := range []string{"exp", "iat", "jti"} {
		delete(claims, k)
	}
	if len(claims) != len(want) {
		t.Fatalf("claims = %v, want %v", claims, want)
	}
	for k, v := range want {
		if !reflect.DeepEqual(claims[k], v) {
			t.Fatalf("claim %s = %v, want %v", k, claims[k], v)
		}
	}
}

func TestIssueRejectsBadIDs(t *testing.T) {
	m := newTestManager(t, nil)
	for _, tc := range []struct{ name, user, device string }{
		{name: "empty user"},
		{name: "long user", user: strings.Repeat("u", 129)},
		{name: "long device", user: "u", device: strings.Repeat("d", 65)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := m.IssueAccess(tc.user, tc.device); err == nil {
				t.Fatal("IssueAccess accepted it")
			}
		})
	}
}

func TestJTIUnique(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		j := newJTI()
		if seen[j] {
			t.Fatalf("jti %q repeated", j)
		}
		seen[j] = true
	}
}

// decodeToken returns a token's header text and its claims.
func decodeToken(t *testing.T, token string) (string, map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d segments", len(parts))
	}
	hdr, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(body, &claims); err != nil {
		t.Fatal(err)
	}
	return string(hdr), claims
}
