package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"hash"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

var (
	testSecret  = []byte("0123456789abcdef0123456789abcdef-test-secret")
	otherSecret = []byte("fedcba9876543210fedcba9876543210-other-secret")
	testNow     = time.Unix(1_800_000_000, 0)
)

// newTestManager builds a Manager on a fixed clock; edit may change cfg.
func newTestManager(t testing.TB, edit func(*Config)) *Manager {
	t.Helper()
	cfg := Config{Secret: testSecret, Now: func() time.Time { return testNow }}
	if edit != nil {
		edit(&cfg)
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(m.Close)
	return m
}

// testUsers holds alice/alice-pw and bob/bob-pw at bcrypt's lowest cost.
func testUsers(t testing.TB) *Users {
	t.Helper()
	u := NewUsers()
	for _, p := range [][2]string{{"alice", "alice-pw"}, {"bob", "bob-pw"}} {
		h, err := hashPassword(p[1], bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		if err := u.Set(p[0], h); err != nil {
			t.Fatal(err)
		}
	}
	return u
}

// craft builds a token from any header and claims, signing the
// "header.claims" text with sign (nil: empty signature).
func craft(t testing.TB, header, claims any, sign func(string) []byte) string {
	t.Helper()
	seg := func(v any) string {
		if s, ok := v.(string); ok { // raw JSON text
			return base64.RawURLEncoding.EncodeToString([]byte(s))
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := seg(header) + "." + seg(claims)
	var sig []byte
	if sign != nil {
		sig = sign(input)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func hmacWith(key []byte, h func() hash.Hash) func(string) []byte {
	return func(input string) []byte {
		mac := hmac.New(h, key)
		mac.Write([]byte(input))
		return mac.Sum(nil)
	}
}

var hs256 = hmacWith(testSecret, sha256.New)

func header(alg string) map[string]any { return map[string]any{"alg": alg, "typ": "JWT"} }

// claimsAt returns valid access claims for sub, expiring d after testNow.
func claimsAt(sub string, d time.Duration) map[string]any {
	return map[string]any{"sub": sub, "exp": testNow.Add(d).Unix(), "iat": testNow.Unix(), "jti": "j1"}
}

// with returns a copy of c with kv applied; a nil value deletes the key.
func with(c map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(c))
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// goid returns the current goroutine's id, from its stack header.
func goid() uint64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	f := strings.Fields(string(buf[:n]))
	id, _ := strconv.ParseUint(f[1], 10, 64)
	return id
}
