package auth

import (
	"encoding/base64"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzVerify feeds Verify a token that arrives in two
// pieces (as from partial reads) and is joined before verifying. It must
// never panic, must only fail with the package's two token errors, and must
// never accept a token it did not sign.
func FuzzVerify(f *testing.F) {
	m, err := New(Config{Secret: testSecret, Now: func() time.Time { return testNow }, Workers: 1})
	if err != nil {
		f.Fatal(err)
	}
	defer m.Close()
	seeds := []string{
		craft(f, header("HS256"), claimsAt("user123", time.Minute), hs256),
		craft(f, header("HS256"), claimsAt("user123", -time.Minute), hs256),
		craft(f, header("HS256"), with(claimsAt("u", time.Minute), "typ", "refresh", "did", "d1"), hs256),
		craft(f, header("none"), claimsAt("user123", time.Minute), nil),
		craft(f, header("RS256"), claimsAt("user123", time.Minute), hs256),
		craft(f, `{"alg":"HS256"}`, `{"sub":"u","exp":1e300}`, hs256),
		craft(f, `{"alg":"HS256"}`, `{"sub":"u","exp":-1,"aud":[1]}`, hs256),
		"", ".", "..", "a.b.c", "e30.e30.", "eyJhbGciOiJIUzI1NiJ9.e30.AAAA",
	}
	for _, s := range seeds {
		cut := len(s) / 2
		f.Add(s[:cut], s[cut:])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		token := a + b
		c, err := m.Verify(token)
		if err == nil {
			checkAccepted(t, m, token, c)
			return
		}
		if !errors.Is(err, ErrTokenInvalid) && !errors.Is(err, ErrTokenExpired) {
			t.Fatalf("unexpected error class: %v", err)
		}
		if len(token) >= 16 && strings.Contains(err.Error(), token) {
			t.Fatalf("error contains the token")
		}
	})
}

// FuzzVerifySigned signs whatever header and claims text it is given, so
// that the fuzzer gets past the signature check into jwt's JSON decoding
// and the claims checks (FuzzVerify rarely does).
func FuzzVerifySigned(f *testing.F) {
	m, err := New(Config{Secret: testSecret, Now: func() time.Time { return testNow }, Workers: 1, Audience: "chat"})
	if err != nil {
		f.Fatal(err)
	}
	defer m.Close()
	exp := strconv.FormatInt(testNow.Add(time.Hour).Unix(), 10)
	f.Add(`{"alg":"HS256","typ":"JWT"}`, `{"sub":"u","exp":`+exp+`,"aud":"chat"}`)
	f.Add(`{"alg":"HS256"}`, `{"sub":"u","exp":`+exp+`.5,"aud":["x","chat"],"typ":"refresh","did":"d"}`)
	f.Add(`{"alg":"none"}`, `{"sub":"","exp":1e400,"nbf":"x","aud":[1]}`)
	f.Add(`{"alg":"HS256","alg":"RS256"}`, `{"sub":"u","SUB":"v","exp":null}`)
	f.Fuzz(func(t *testing.T, hdr, claims string) {
		enc := base64.RawURLEncoding
		in := enc.EncodeToString([]byte(hdr)) + "." + enc.EncodeToString([]byte(claims))
		token := in + "." + craftSig(in)
		c, err := m.Verify(token)
		if err == nil {
			checkAccepted(t, m, token, c)
		} else if !errors.Is(err, ErrTokenInvalid) && !errors.Is(err, ErrTokenExpired) {
			t.Fatalf("unexpected error class: %v", err)
		}
	})
}

// checkAccepted re-signs an accepted token's signing input: the result must
// be the token's own signature, byte for byte (strict decoding admits no
// second spelling), so nothing unsigned by testSecret is ever accepted.
func checkAccepted(t *testing.T, m *Manager, token string, c Claims) {
	t.Helper()
	if c.UserID == "" || len(c.UserID) > MaxUserIDLen || !c.ExpiresAt.After(testNow) {
		t.Fatalf("accepted bad claims %+v", c)
	}
	i := strings.LastIndexByte(token, '.')
	if i < 0 || craftSig(token[:i]) != token[i+1:] {
		t.Fatalf("accepted a token with a foreign signature")
	}
}

// craftSig is the canonical (strict base64url) HS256 signature of input.
func craftSig(input string) string {
	return base64.RawURLEncoding.EncodeToString(hs256(input))
}

// FuzzHtpasswd feeds the htpasswd parser a file that arrives in two pieces.
func FuzzHtpasswd(f *testing.F) {
	f.Add("alice:"+demoHashAlice[:30], demoHashAlice[30:]+"\n# c\n\nbob:"+phpHash)
	f.Add("bob:$apr1$x2vf6dQb$Xt0sB6S", "mVXpu2EnP0y5rT.\n")
	f.Add("no colon\r", "\n:")
	f.Fuzz(func(t *testing.T, a, b string) {
		u, err := parseHtpasswd(io.MultiReader(strings.NewReader(a), strings.NewReader(b)), "fuzz")
		if err != nil {
			if !errors.Is(err, ErrHtpasswd) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		u.mu.RLock()
		defer u.mu.RUnlock()
		for name, h := range u.hashes {
			if !validUsername(name) {
				t.Fatalf("accepted username %q", name)
			}
			if _, err := bcryptCost(string(h)); err != nil {
				t.Fatalf("accepted a bad hash for %q", name)
			}
		}
	})
}
