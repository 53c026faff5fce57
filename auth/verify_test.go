package auth

import (
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestVerify(t *testing.T) {
	valid := claimsAt("user123", time.Minute)
	expired := claimsAt("user123", -time.Minute)
	hs512 := hmacWith(testSecret, sha512.New)
	hs384 := hmacWith(testSecret, sha512.New384)
	for _, tc := range []struct {
		name   string
		iss    string // Config.Issuer
		aud    string // Config.Audience
		leeway time.Duration
		token  func(t *testing.T, m *Manager) string
		want   error // nil, ErrTokenExpired or ErrTokenInvalid
		reason error // when want is ErrTokenInvalid: the wrapped cause, if any
	}{
		{name: "valid", want: nil, token: tok(header("HS256"), valid, hs256)},
		{name: "seed header order", want: nil,
			token: tok(`{"typ":"JWT","alg":"HS256"}`, map[string]any{"sub": "user123", "exp": testNow.Add(time.Hour).Unix()}, hs256)},
		{name: "valid with did", want: nil, token: tok(header("HS256"), with(valid, "did", "web001"), hs256)},
		{name: "issued by IssueAccess", want: nil, token: func(t *testing.T, m *Manager) string {
			s, _, err := m.IssueAccess("user123", "")
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{name: "expired", want: ErrTokenExpired, token: tok(header("HS256"), expired, hs256)},
		{name: "expired exactly now", want: ErrTokenExpired, token: tok(header("HS256"), claimsAt("u", 0), hs256)},
		{name: "expired within leeway", leeway: 2 * time.Minute, want: nil, token: tok(header("HS256"), expired, hs256)},
		{name: "expired bad signature", want: ErrTokenInvalid, reason: jwt.ErrTokenSignatureInvalid,
			token: tok(header("HS256"), expired, flipped(hs256))},
		{name: "expired other secret", want: ErrTokenInvalid, reason: jwt.ErrTokenSignatureInvalid,
			token: tok(header("HS256"), expired, hmacWith(otherSecret, sha256.New))},
		{name: "expired refresh as access", want: ErrTokenInvalid, reason: errWrongType,
			token: tok(header("HS256"), with(expired, "typ", "refresh"), hs256)},
		{name: "expired and nbf future", want: ErrTokenInvalid, reason: jwt.ErrTokenNotValidYet,
			token: tok(header("HS256"), with(expired, "nbf", testNow.Add(time.Hour).Unix()), hs256)},
		{name: "other secret", want: ErrTokenInvalid, reason: jwt.ErrTokenSignatureInvalid,
			token: tok(header("HS256"), valid, hmacWith(otherSecret, sha256.New))},
		{name: "alg none unsigned", want: ErrTokenInvalid, token: tok(header("none"), valid, nil)},
		{name: "alg none signed", want: ErrTokenInvalid, token: tok(header("none"), valid, hs256)},
		{name: "alg None", want: ErrTokenInvalid, token: tok(header("None"), valid, nil)},
		{name: "alg missing", want: ErrTokenInvalid, token: tok(`{"typ":"JWT"}`, valid, hs256)},
		{name: "alg RS256 with secret as key", want: ErrTokenInvalid, reason: jwt.ErrTokenSignatureInvalid,
			token: tok(header("RS256"), valid, hs256)},
		{name: "alg ES256 with secret as key", want: ErrTokenInvalid, reason: jwt.ErrTokenSignatureInvalid,
			token: tok(header("ES256"), valid, hs256)},
		{name: "alg HS384", want: ErrTokenInvalid, reason: jwt.ErrTokenSignatureInvalid, token: tok(header("HS384"), valid, hs384)},
		{name: "alg HS512", want: ErrTokenInvalid, reason: jwt.ErrTokenSignatureInvalid, token: tok(header("HS512"), valid, hs512)},
		{name: "missing exp", want: ErrTokenInvalid, reason: jwt.ErrTokenRequiredClaimMissing,
			token: tok(header("HS256"), with(valid, "exp", nil), hs256)},
		{name: "exp as string", want: ErrTokenInvalid, reason: jwt.ErrTokenMalformed,
			token: tok(header("HS256"), with(valid, "exp", "tomorrow"), hs256)},
		{name: "exp fractional", want: nil, token: tok(header("HS256"), with(valid, "exp", float64(testNow.Unix())+60.5), hs256)},
		{name: "exp null", want: ErrTokenInvalid, reason: jwt.ErrTokenRequiredClaimMissing,
			token: tok(`{"alg":"HS256"}`, `{"sub":"u","exp":null}`, hs256)},
		{name: "exp zero", want: ErrTokenExpired, token: tok(header("HS256"), with(valid, "exp", 0), hs256)},
		{name: "exp negative", want: ErrTokenExpired, token: tok(header("HS256"), with(valid, "exp", -1e300), hs256)},
		{name: "exp 1e300", want: nil, token: tok(`{"alg":"HS256"}`, `{"sub":"u","exp":1e300}`, hs256)},
		{name: "exp 1e400", want: ErrTokenInvalid, reason: jwt.ErrTokenMalformed, token: tok(`{"alg":"HS256"}`, `{"sub":"u","exp":1e400}`, hs256)},
		{name: "aud number", aud: "chat", want: ErrTokenInvalid, reason: jwt.ErrTokenMalformed,
			token: tok(header("HS256"), with(valid, "aud", 5), hs256)},
		{name: "claims not object", want: ErrTokenInvalid, reason: jwt.ErrTokenMalformed, token: tok(header("HS256"), `[1]`, hs256)},
		{name: "sub number", want: ErrTokenInvalid, reason: jwt.ErrTokenMalformed, token: tok(header("HS256"), with(valid, "sub", 7), hs256)},
		{name: "missing sub", want: ErrTokenInvalid, reason: errBadSubject,
			token: tok(header("HS256"), with(valid, "sub", nil), hs256)},
		{name: "empty sub", want: ErrTokenInvalid, reason: errBadSubject,
			token: tok(header("HS256"), with(valid, "sub", ""), hs256)},
		{name: "sub 129 bytes", want: ErrTokenInvalid, reason: errBadSubject,
			token: tok(header("HS256"), with(valid, "sub", strings.Repeat("u", 129)), hs256)},
		{name: "sub 128 bytes", want: nil, token: tok(header("HS256"), with(valid, "sub", strings.Repeat("u", 128)), hs256)},
		{name: "did 65 bytes", want: ErrTokenInvalid, reason: errBadDevice,
			token: tok(header("HS256"), with(valid, "did", strings.Repeat("d", 65)), hs256)},
		{name: "nbf future", want: ErrTokenInvalid, reason: jwt.ErrTokenNotValidYet,
			token: tok(header("HS256"), with(valid, "nbf", testNow.Add(time.Second).Unix()), hs256)},
		{name: "nbf past", want: nil, token: tok(header("HS256"), with(valid, "nbf", testNow.Add(-time.Second).Unix()), hs256)},
		{name: "iss right", iss: "gw", want: nil, token: tok(header("HS256"), with(valid, "iss", "gw"), hs256)},
		{name: "iss wrong", iss: "gw", want: ErrTokenInvalid, reason: jwt.ErrTokenInvalidIssuer,
			token: tok(header("HS256"), with(valid, "iss", "evil"), hs256)},
		{name: "iss missing", iss: "gw", want: ErrTokenInvalid, reason: jwt.ErrTokenRequiredClaimMissing,
			token: tok(header("HS256"), valid, hs256)},
		{name: "iss wrong and expired", iss: "gw", want: ErrTokenInvalid, reason: jwt.ErrTokenInvalidIssuer,
			token: tok(header("HS256"), with(expired, "iss", "evil"), hs256)},
		{name: "iss not configured", want: nil, token: tok(header("HS256"), with(valid, "iss", "anyone"), hs256)},
		{name: "aud right", aud: "chat", want: nil, token: tok(header("HS256"), with(valid, "aud", "chat"), hs256)},
		{name: "aud in list", aud: "chat", want: nil, token: tok(header("HS256"), with(valid, "aud", []string{"x", "chat"}), hs256)},
		{name: "aud wrong", aud: "chat", want: ErrTokenInvalid, reason: jwt.ErrTokenInvalidAudience,
			token: tok(header("HS256"), with(valid, "aud", "mail"), hs256)},
		{name: "aud missing", aud: "chat", want: ErrTokenInvalid, reason: jwt.ErrTokenRequiredClaimMissing,
			token: tok(header("HS256"), valid, hs256)},
		{name: "refresh as access", want: ErrTokenInvalid, reason: errWrongType,
			token: tok(header("HS256"), with(valid, "typ", "refresh"), hs256)},
		{name: "empty", want: ErrTokenInvalid, reason: jwt.ErrTokenMalformed, token: raw("")},
		{name: "garbage", want: ErrTokenInvalid, reason: jwt.ErrTokenMalformed, token: raw("not a token")},
		{name: "dots only", want: ErrTokenInvalid, token: raw("..")},
		{name: "four segments", want: ErrTokenInvalid, reason: jwt.ErrTokenMalformed, token: raw("a.b.c.d")},
		{name: "bad signature encoding", want: ErrTokenInvalid, reason: jwt.ErrTokenMalformed,
			token: raw("e30.e30.!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!")},
		{name: "signed header not json", want: ErrTokenInvalid, reason: jwt.ErrTokenMalformed, token: tok(`{"alg"`, valid, hs256)},
		{name: "signed header not base64", want: ErrTokenInvalid, reason: jwt.ErrTokenMalformed,
			token: func(t *testing.T, _ *Manager) string {
				in := "e30*." + strings.Split(craft(t, "{}", valid, nil), ".")[1]
				return in + "." + craftSig(in)
			}},
		{name: "non-canonical signature", want: ErrTokenInvalid, reason: jwt.ErrTokenMalformed, token: func(t *testing.T, _ *Manager) string {
			s := craft(t, header("HS256"), valid, hs256)
			return s[:len(s)-1] + nonCanonical(s[len(s)-1])
		}},
		{name: "100 KB", want: ErrTokenInvalid, reason: errTooLong,
			token: tok(header("HS256"), with(valid, "pad", strings.Repeat("p", 100<<10)), hs256)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newTestManager(t, func(c *Config) { c.Issuer, c.Audience, c.Leeway = tc.iss, tc.aud, tc.leeway })
			token := tc.token(t, m)
			claims, err := m.Verify(token)
			t.Logf("err = %v", err)
			checkVerifyErr(t, token, err, tc.want, tc.reason)
			if tc.want == nil && claims.UserID == "" {
				t.Errorf("UserID empty on success")
			}
		})
	}
}

func checkVerifyErr(t *testing.T, token string, err, want, reason error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("err = %v, want nil", err)
	case want == nil:
		return
	case !errors.Is(err, want):
		t.Fatalf("err = %v, want %v", err, want)
	case want == ErrTokenInvalid && errors.Is(err, ErrTokenExpired):
		t.Fatalf("err = %v is both invalid and expired", err)
	case reason != nil && !errors.Is(err, reason):
		t.Fatalf("err = %v, want reason %v", err, reason)
	}
	for _, seg := range strings.Split(token, ".") {
		if len(seg) >= 8 && strings.Contains(err.Error(), seg) {
			t.Fatalf("error text %q contains token text", err)
		}
	}
}

func TestVerifyClaims(t *testing.T) {
	m := newTestManager(t, nil)
	token := craft(t, header("HS256"), with(claimsAt("user123", time.Hour), "did", "web001", "jti", "abc"), hs256)
	got, err := m.Verify(token)
	if err != nil {
		t.Fatal(err)
	}
	want := Claims{
		UserID:    "user123",
		DeviceID:  "web001",
		ExpiresAt: testNow.Add(time.Hour),
		IssuedAt:  testNow,
		ID:        "abc",
	}
	if !got.ExpiresAt.Equal(want.ExpiresAt) || !got.IssuedAt.Equal(want.IssuedAt) {
		t.Fatalf("times = %v, %v; want %v, %v", got.ExpiresAt, got.IssuedAt, want.ExpiresAt, want.IssuedAt)
	}
	got.ExpiresAt, got.IssuedAt, want.ExpiresAt, want.IssuedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("claims = %+v, want %+v", got, want)
	}
}

func TestNewConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{name: "defaults", cfg: Config{Secret: testSecret}, ok: true},
		{name: "no secret", cfg: Config{}},
		{name: "short secret", cfg: Config{Secret: testSecret[:31]}},
		{name: "32-byte secret", cfg: Config{Secret: testSecret[:32]}, ok: true},
		{name: "negative ttl", cfg: Config{Secret: testSecret, AccessTTL: -time.Second}},
		{name: "negative leeway", cfg: Config{Secret: testSecret, Leeway: -time.Second}},
		{name: "negative workers", cfg: Config{Secret: testSecret, Workers: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(tc.cfg)
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if err != nil {
				if !errors.Is(err, ErrConfig) {
					t.Fatalf("err = %v, want ErrConfig", err)
				}
				return
			}
			defer m.Close()
			if m.AccessTTL() != 15*time.Minute || m.RefreshTTL() != 720*time.Hour {
				t.Fatalf("ttls = %v, %v", m.AccessTTL(), m.RefreshTTL())
			}
		})
	}
}

func TestSecretCopied(t *testing.T) {
	secret := append([]byte(nil), testSecret...)
	m := newTestManager(t, func(c *Config) { c.Secret = secret })
	token, _, err := m.IssueAccess("u", "")
	if err != nil {
		t.Fatal(err)
	}
	secret[0] ^= 0xff
	if _, err := m.Verify(token); err != nil {
		t.Fatalf("caller's change to Config.Secret reached the Manager: %v", err)
	}
}

// tok returns a token builder for a crafted token.
func tok(header, claims any, sign func(string) []byte) func(*testing.T, *Manager) string {
	return func(t *testing.T, _ *Manager) string { return craft(t, header, claims, sign) }
}

func raw(s string) func(*testing.T, *Manager) string {
	return func(*testing.T, *Manager) string { return s }
}

// flipped returns sign with one bit of the signature changed.
func flipped(sign func(string) []byte) func(string) []byte {
	return func(input string) []byte {
		b := sign(input)
		b[len(b)-1] ^= 1
		return b
	}
}

// nonCanonical returns the base64url digit that, in the last place of a
// 32-byte signature, decodes to the same bytes as c with a low padding bit
// set (lenient decoders accept both).
func nonCanonical(c byte) string {
	const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	return string(digits[strings.IndexByte(digits, c)|1])
}

func TestVerifyNoIssuedAt(t *testing.T) {
	m := newTestManager(t, nil)
	c, err := m.Verify(craft(t, header("HS256"), with(claimsAt("u", time.Hour), "iat", nil, "jti", nil), hs256))
	if err != nil || !c.IssuedAt.IsZero() || c.ID != "" {
		t.Fatalf("claims %+v, %v", c, err)
	}
}
