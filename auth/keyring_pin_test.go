package auth

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"hash"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The algorithm pin per key (keyring.go, jwt.WithValidMethods): a token
// signed by a key's own secret or private key, but under another algorithm
// of the same family, is refused. Each case below passes golang-jwt's own
// checks (key type, signature) and the HS256 pre-check, so only the pin
// stops it; each "control" case shows the same key and claims verify under
// the pinned algorithm.
//
// Ed25519 has no case: EdDSA is the only JWS algorithm for its keys, so
// there is no other algorithm of its family to try.
func TestAlgorithmPin(t *testing.T) {
	testKeys(t)
	claims := claimsAt("alice", time.Hour)
	signed := func(method jwt.SigningMethod, kid string, key any) string {
		tok := jwt.NewWithClaims(method, jwt.MapClaims(claims))
		tok.Header["kid"] = kid
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	hmacSecret := []byte(strings.Repeat("h", 64)) // long enough for HS512
	hmacTok := func(alg, kid string, h func() hash.Hash) string {
		return craft(t, map[string]any{"alg": alg, "typ": "JWT", "kid": kid}, claims, hmacWith(hmacSecret, h))
	}
	for _, tc := range []struct {
		name    string
		key     func() (Key, error)
		control string // the pinned algorithm: verifies
		forged  string // same key, another algorithm: refused
	}{
		{name: "RS256 key, RS512 token",
			key:     func() (Key, error) { return KeyFromPEM("k", "RS256", []byte(pubPEM(t, &rsaKey.PublicKey))) },
			control: signed(jwt.SigningMethodRS256, "k", rsaKey), forged: signed(jwt.SigningMethodRS512, "k", rsaKey)},
		{name: "RS256 key, PS256 token",
			key:     func() (Key, error) { return KeyFromPEM("k", "RS256", []byte(pubPEM(t, &rsaKey.PublicKey))) },
			control: signed(jwt.SigningMethodRS256, "k", rsaKey), forged: signed(jwt.SigningMethodPS256, "k", rsaKey)},
		{name: "PS256 key, RS256 token",
			key:     func() (Key, error) { return KeyFromPEM("k", "PS256", []byte(pubPEM(t, &rsaKey.PublicKey))) },
			control: signed(jwt.SigningMethodPS256, "k", rsaKey), forged: signed(jwt.SigningMethodRS256, "k", rsaKey)},
		{name: "ES256 key, ES384 token from the same P-256 key",
			key:     func() (Key, error) { return KeyFromPEM("k", "ES256", []byte(pubPEM(t, &ecKey.PublicKey))) },
			control: signed(jwt.SigningMethodES256, "k", ecKey), forged: es384OnP256(t, "k", claims)},
		{name: "HS512 key, HS256 token with its secret",
			key:     func() (Key, error) { return HMACKey("k", "HS512", hmacSecret) },
			control: hmacTok("HS512", "k", sha512.New), forged: hmacTok("HS256", "k", sha256.New)},
		{name: "HS384 key, HS256 token with its secret",
			key:     func() (Key, error) { return HMACKey("k", "HS384", hmacSecret) },
			control: hmacTok("HS384", "k", sha512.New384), forged: hmacTok("HS256", "k", sha256.New)},
		{name: "HS384 key, HS512 token with its secret",
			key:     func() (Key, error) { return HMACKey("k", "HS384", hmacSecret) },
			control: hmacTok("HS384", "k", sha512.New384), forged: hmacTok("HS512", "k", sha512.New)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := tc.key()
			if err != nil {
				t.Fatal(err)
			}
			// Two keys, so that the kid picks the key; plus the HS256 secret.
			other, err := HMACKey("other", "HS256", otherSecret)
			if err != nil {
				t.Fatal(err)
			}
			m := newTestManager(t, func(c *Config) { c.Keys = &KeySet{Keys: []Key{k, other}} })
			if c, err := m.Verify(tc.control); err != nil || c.UserID != "alice" {
				t.Fatalf("token under the pinned %s: %+v, %v", k.Alg, c, err)
			}
			_, err = m.Verify(tc.forged)
			if !errors.Is(err, ErrTokenInvalid) || !errors.Is(err, jwt.ErrTokenSignatureInvalid) {
				t.Fatalf("token signed by the same key under %v, key pinned to %s: err = %v, want invalid (signature)",
					hdrOf(t, tc.forged)["alg"], k.Alg, err)
			}
		})
	}
}

// es384OnP256 signs claims with the P-256 test key over a SHA-384 digest
// and labels it ES384 (r and s padded to 48 bytes each, as ES384 wants).
// golang-jwt's ES384 check accepts it when handed the P-256 public key: it
// checks the signature's length, not the key's curve; ecdsa.Verify truncates
// the digest to the curve's size, as Sign did.
func es384OnP256(t testing.TB, kid string, claims map[string]any) string {
	t.Helper()
	return craft(t, map[string]any{"alg": "ES384", "typ": "JWT", "kid": kid}, claims, func(input string) []byte {
		d := sha512.Sum384([]byte(input))
		r, s, err := ecdsa.Sign(rand.Reader, ecKey, d[:])
		if err != nil {
			t.Fatal(err)
		}
		sig := make([]byte, 96)
		r.FillBytes(sig[:48])
		s.FillBytes(sig[48:])
		return sig
	})
}
