package authtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/internal/testutil"
)

// Mint returns an access token for user signed with secret (HS256, the
// default TTL of 15 minutes) as if issued ago before now: 0 for a fresh
// token, an hour or more for an expired one (beyond any leeway). The
// token is registered with testlog as a secret.
func Mint(t testing.TB, secret []byte, user string, ago time.Duration) string {
	t.Helper()
	cfg := auth.Config{Secret: secret, Workers: 1, QueueSize: 1}
	if ago != 0 {
		cfg.Now = func() time.Time { return time.Now().Add(-ago) }
	}
	am, err := auth.New(cfg)
	if err != nil {
		t.Fatalf("authtest: %v", err)
	}
	defer am.Close()
	return testutil.Token(t, am, user, "")
}

// Users returns a user table with the given user, password pairs, hashed
// at bcrypt's lowest cost (the default cost takes seconds per login under
// the race detector).
func Users(t testing.TB, userPass ...string) *auth.Users {
	t.Helper()
	users := auth.NewUsers()
	for i := 0; i+1 < len(userPass); i += 2 {
		hash, err := bcrypt.GenerateFromPassword([]byte(userPass[i+1]), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		if err := users.Set(userPass[i], string(hash)); err != nil {
			t.Fatal(err)
		}
	}
	return users
}

// DemoUsers are the demo accounts (user123, alice, bob, carol with the
// passwords of README.md) at bcrypt's lowest cost.
func DemoUsers(t testing.TB) *auth.Users {
	t.Helper()
	return Users(t, "user123", "password123", "alice", "alice123", "bob", "bob123", "carol", "carol123")
}

// RSAKey returns a fresh 2048-bit RSA key and its public key as PEM
// ("PUBLIC KEY", PKIX), what auth.KeyFromPEM takes for RS256.
func RSAKey(t testing.TB) (*rsa.PrivateKey, []byte) {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return priv, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}
