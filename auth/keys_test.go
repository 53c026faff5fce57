package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Test key pairs, made once (RSA generation is slow under -race).
var (
	keysOnce sync.Once
	rsaKey   *rsa.PrivateKey
	ecKey    *ecdsa.PrivateKey
	edKey    ed25519.PrivateKey
)

func testKeys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
		if _, edKey, err = ed25519.GenerateKey(rand.Reader); err != nil {
			panic(err)
		}
	})
}

func pubPEM(t testing.TB, pub crypto.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func privPEM(t testing.TB, priv crypto.Signer) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func jsonText(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestReadKeySet(t *testing.T) {
	testKeys(t)
	dir := t.TempDir()
	secret := strings.Repeat("s", 40)
	if err := os.WriteFile(filepath.Join(dir, "k.secret"), []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ec.pem"), []byte(pubPEM(t, &ecKey.PublicKey)), 0o600); err != nil {
		t.Fatal(err)
	}
	smallRSA, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ecPub := ecKey.PublicKey
	ecX, ecY := make([]byte, 32), make([]byte, 32)
	ecPub.X.FillBytes(ecX)
	ecPub.Y.FillBytes(ecY)
	key := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name    string
		current string
		keys    []map[string]string
		want    []string // kid:alg of the keys read, "" when an error is wanted
		errHas  string
	}{
		{name: "hmac secret and file", current: "a", keys: []map[string]string{
			key("kid", "a", "alg", "HS256", "secret", secret), key("kid", "b", "alg", "HS512", "secret_file", "k.secret",
				"secret", "")}, errHas: "want at least 64"},
		{name: "hmac", current: "a", keys: []map[string]string{
			key("kid", "a", "alg", "HS256", "secret", secret), key("kid", "b", "alg", "HS256", "secret_file", "k.secret")},
			want: []string{"a:HS256", "b:HS256"}},
		{name: "pem inline, pem file, private", current: "priv", keys: []map[string]string{
			key("kid", "rsa", "alg", "RS256", "pem", pubPEM(t, &rsaKey.PublicKey)),
			key("kid", "ps", "alg", "PS384", "pem", pubPEM(t, &rsaKey.PublicKey)),
			key("kid", "ec", "alg", "ES256", "pem_file", "ec.pem"),
			key("kid", "priv", "alg", "EdDSA", "pem", privPEM(t, edKey))},
			want: []string{"rsa:RS256", "ps:PS384", "ec:ES256", "priv:EdDSA"}},
		{name: "jwks", keys: []map[string]string{
			key("kty", "RSA", "kid", "r", "alg", "RS256", "use", "sig", "n", b64u(rsaKey.N.Bytes()), "e", "AQAB"),
			key("kty", "EC", "kid", "e", "crv", "P-256", "x", b64u(ecX), "y", b64u(ecY)),
			key("kty", "OKP", "kid", "o", "crv", "Ed25519", "x", b64u(edKey.Public().(ed25519.PublicKey))),
			key("kty", "oct", "kid", "h", "alg", "HS256", "k", b64u([]byte(secret))),
			key("kty", "RSA", "kid", "enc", "use", "enc", "n", "x", "e", "y")},
			want: []string{"r:RS256", "e:ES256", "o:EdDSA", "h:HS256"}},
		{name: "no kid", keys: []map[string]string{key("alg", "HS256", "secret", secret)}, errHas: "kid must be"},
		{name: "kid twice", keys: []map[string]string{key("kid", "a", "alg", "HS256", "secret", secret),
			key("kid", "a", "alg", "HS256", "secret", secret)}, errHas: "listed twice"},
		{name: "two sources", keys: []map[string]string{key("kid", "a", "alg", "HS256", "secret", secret, "pem", "x")},
			errHas: "exactly one"},
		{name: "short secret", keys: []map[string]string{key("kid", "a", "alg", "HS256", "secret", "short")}, errHas: "want at least 32"},
		{name: "hmac without alg", keys: []map[string]string{key("kid", "a", "secret", secret)}, errHas: "not HMAC"},
		{name: "alg none", keys: []map[string]string{key("kid", "a", "alg", "none", "secret", secret)}, errHas: "not HMAC"},
		{name: "small rsa", keys: []map[string]string{key("kid", "a", "alg", "RS256", "pem", pubPEM(t, &smallRSA.PublicKey))},
			errHas: "1024 bits"},
		{name: "rsa pinned to HS256", keys: []map[string]string{key("kid", "a", "alg", "HS256", "pem", pubPEM(t, &rsaKey.PublicKey))},
			errHas: "does not fit"},
		{name: "ec pinned to ES384", keys: []map[string]string{key("kid", "a", "alg", "ES384", "pem", pubPEM(t, &ecKey.PublicKey))},
			errHas: "want ES256"},
		{name: "ec point off curve", keys: []map[string]string{key("kty", "EC", "kid", "e", "crv", "P-256", "x", b64u(ecX), "y", b64u(ecX))},
			errHas: "not on P-256"},
		{name: "private jwk", keys: []map[string]string{key("kty", "OKP", "kid", "o", "crv", "Ed25519", "x", "AA", "d", "AA")},
			errHas: "private JWKs"},
		{name: "current unknown", current: "zz", keys: []map[string]string{key("kid", "a", "alg", "HS256", "secret", secret)},
			errHas: "not listed"},
		{name: "current cannot sign", current: "a", keys: []map[string]string{key("kid", "a", "alg", "RS256", "pem", pubPEM(t, &rsaKey.PublicKey))},
			errHas: "no secret or private key"},
		{name: "empty", keys: nil, errHas: "no signature keys"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := jsonText(t, map[string]any{"current": tc.current, "keys": tc.keys})
			ks, err := ReadKeySet(strings.NewReader(doc), dir)
			if tc.errHas != "" {
				if !errors.Is(err, ErrKeys) || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("err = %v, want ErrKeys with %q", err, tc.errHas)
				}
				if strings.Contains(err.Error(), secret) {
					t.Fatal("error contains the secret")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, k := range ks.Keys {
				got = append(got, k.ID+":"+k.Alg)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("keys %v, want %v", got, tc.want)
			}
		})
	}
}

func TestReadKeySetNotJSON(t *testing.T) {
	secret := strings.Repeat("x", 40)
	_, err := ReadKeySet(strings.NewReader(`{"keys":[{"kid":"a","secret":"`+secret+`"`), "")
	if !errors.Is(err, ErrKeys) || strings.Contains(err.Error(), secret) {
		t.Fatalf("err = %v", err)
	}
}

func hmacSet(t testing.TB, current string, kids ...string) *KeySet {
	t.Helper()
	ks := &KeySet{Current: current}
	for _, kid := range kids {
		k, err := HMACKey(kid, "HS256", []byte(strings.Repeat(kid, 40)))
		if err != nil {
			t.Fatal(err)
		}
		ks.Keys = append(ks.Keys, k)
	}
	return ks
}

// Rotation without downtime: tokens of the old key verify while it is
// listed, new tokens carry the new kid.
func TestKeyRotation(t *testing.T) {
	m := newTestManager(t, func(c *Config) { c.Keys = hmacSet(t, "k1", "k1") })
	old, _, err := m.IssueAccess("alice", "")
	if err != nil {
		t.Fatal(err)
	}
	if h := hdrOf(t, old); h["kid"] != "k1" {
		t.Fatalf("header %v", h)
	}
	if err := m.SetKeys(hmacSet(t, "k2", "k1", "k2")); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Verify(old); err != nil {
		t.Fatalf("old token after rotation: %v", err)
	}
	fresh, _, _ := m.IssueAccess("alice", "")
	if h := hdrOf(t, fresh); h["kid"] != "k2" {
		t.Fatalf("new token header %v", h)
	}
	if err := m.SetKeys(hmacSet(t, "k2", "k2")); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Verify(old); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("token of a removed key: %v", err)
	}
	if _, err := m.Verify(fresh); err != nil {
		t.Fatalf("current token: %v", err)
	}
	// The secret still verifies tokens without a kid.
	legacy := craft(t, header("HS256"), claimsAt("u", time.Hour), hs256)
	if _, err := m.Verify(legacy); err != nil {
		t.Fatalf("token without kid: %v", err)
	}
	if err := m.SetKeys(&KeySet{}); !errors.Is(err, ErrKeys) {
		t.Fatalf("SetKeys(empty) = %v", err)
	}
	if _, err := m.Verify(fresh); err != nil {
		t.Fatalf("a failed SetKeys changed the keys: %v", err)
	}
}

// Tokens from an external issuer (asymmetric keys, the gateway only
// verifies), and the attacks on them.
func TestExternalKeys(t *testing.T) {
	testKeys(t)
	for _, tc := range []struct {
		name   string
		alg    string
		method jwt.SigningMethod
		priv   crypto.Signer
	}{
		{name: "RS256", alg: "RS256", method: jwt.SigningMethodRS256, priv: rsaKey},
		{name: "PS256", alg: "PS256", method: jwt.SigningMethodPS256, priv: rsaKey},
		{name: "ES256", alg: "ES256", method: jwt.SigningMethodES256, priv: ecKey},
		{name: "EdDSA", alg: "EdDSA", method: jwt.SigningMethodEdDSA, priv: edKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := KeyFromPEM("idp", tc.alg, []byte(pubPEM(t, tc.priv.Public())))
			if err != nil {
				t.Fatal(err)
			}
			m := newTestManager(t, func(c *Config) { c.Secret, c.Keys = nil, &KeySet{Keys: []Key{k}} })
			sign := func(method jwt.SigningMethod, kid string, key any) string {
				tok := jwt.NewWithClaims(method, jwt.MapClaims(claimsAt("alice", time.Hour)))
				if kid != "" {
					tok.Header["kid"] = kid
				}
				s, err := tok.SignedString(key)
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			if c, err := m.Verify(sign(tc.method, "idp", tc.priv)); err != nil || c.UserID != "alice" {
				t.Fatalf("external token: %+v, %v", c, err)
			}
			// The only key also verifies tokens without a kid.
			if _, err := m.Verify(sign(tc.method, "", tc.priv)); err != nil {
				t.Fatalf("external token without kid: %v", err)
			}
			// Algorithm confusion: HS256 keyed with the public key's PEM.
			if _, err := m.Verify(sign(jwt.SigningMethodHS256, "idp", []byte(pubPEM(t, tc.priv.Public())))); !errors.Is(err, ErrTokenInvalid) {
				t.Fatalf("HS256 with the public key as secret: %v", err)
			}
			if _, err := m.Verify(sign(tc.method, "other", tc.priv)); !errors.Is(err, ErrTokenInvalid) {
				t.Fatalf("unknown kid: %v", err)
			}
			if _, err := m.Verify(craft(t, map[string]any{"alg": "none", "kid": "idp"}, claimsAt("alice", time.Hour), nil)); !errors.Is(err, ErrTokenInvalid) {
				t.Fatalf("alg none: %v", err)
			}
			// Verify-only: the gateway cannot issue.
			if _, _, err := m.IssueAccess("alice", ""); !errors.Is(err, ErrNoSigningKey) {
				t.Fatalf("IssueAccess without a signing key: %v", err)
			}
		})
	}
}

// A private key as the current key signs tokens that its public half, in
// another gateway's key set, verifies.
func TestAsymmetricCurrentKey(t *testing.T) {
	testKeys(t)
	priv, err := KeyFromPEM("es1", "ES256", []byte(privPEM(t, ecKey)))
	if err != nil {
		t.Fatal(err)
	}
	m := newTestManager(t, func(c *Config) { c.Keys = &KeySet{Keys: []Key{priv}, Current: "es1"} })
	tok, _, err := m.IssueAccess("alice", "d1")
	if err != nil {
		t.Fatal(err)
	}
	if h := hdrOf(t, tok); h["alg"] != "ES256" || h["kid"] != "es1" {
		t.Fatalf("header %v", h)
	}
	pub, err := KeyFromPEM("es1", "ES256", []byte(pubPEM(t, &ecKey.PublicKey)))
	if err != nil {
		t.Fatal(err)
	}
	verifier := newTestManager(t, func(c *Config) { c.Secret, c.Keys = nil, &KeySet{Keys: []Key{pub}} })
	if c, err := verifier.Verify(tok); err != nil || c.DeviceID != "d1" {
		t.Fatalf("verify elsewhere: %+v, %v", c, err)
	}
}

func TestKeyFromPEMErrors(t *testing.T) {
	testKeys(t)
	other := pem.EncodeToMemory(&pem.Block{Type: "DH PARAMETERS", Bytes: []byte{1}})
	cert := selfSigned(t)
	for _, tc := range []struct {
		name, alg, pem, errHas string
	}{
		{name: "not pem", alg: "RS256", pem: "hello", errHas: "no PEM block"},
		{name: "two blocks", alg: "RS256", pem: pubPEM(t, &rsaKey.PublicKey) + pubPEM(t, &rsaKey.PublicKey), errHas: "more than one"},
		{name: "unsupported block", alg: "RS256", pem: string(other), errHas: "unsupported PEM block"},
		{name: "ed25519 as ES256", alg: "ES256", pem: pubPEM(t, edKey.Public()), errHas: "want EdDSA"},
		{name: "certificate", alg: "ES256", pem: cert},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := KeyFromPEM("k", tc.alg, []byte(tc.pem))
			if tc.errHas == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrKeys) || !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("err = %v, want %q", err, tc.errHas)
			}
		})
	}
}

func selfSigned(t testing.TB) string {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: testNow, NotAfter: testNow.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ecKey.PublicKey, ecKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// hdrOf returns a token's decoded header.
func hdrOf(t testing.TB, token string) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.SplitN(token, ".", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	return h
}
