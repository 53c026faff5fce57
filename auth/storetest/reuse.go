package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/imgate/gateway/auth"
)

// managerSecret signs the tokens of ReusePersists' managers.
var managerSecret = []byte("storetest-secret-0123456789abcdef-0123456789")

// ReusePersists checks that a refresh token's reuse revokes its family in
// the store, not only in the Manager's memory (auth/refresh.go sets
// Family.Revoked before the Update). A first Manager on first logs alice
// in, refreshes once and presents the spent token again (reuse); it is
// closed, and a second Manager on the store that second returns (the same
// data: the file reopened, another node's handle on the bucket) must refuse
// the family's current refresh token with ErrRefreshRevoked and its access
// token. second runs after the first Manager has closed; first is not
// closed here.
func ReusePersists(t *testing.T, first auth.RefreshStore, second func(t *testing.T) auth.RefreshStore) {
	t.Helper()
	m1 := newManager(t, first)
	r0 := login(t, m1)
	r1, err := m1.Refresh(auth.RefreshRequest{Token: r0.RefreshToken})
	if err != nil {
		t.Fatalf("first refresh: %v", err)
	}
	if _, err := m1.Refresh(auth.RefreshRequest{Token: r0.RefreshToken}); !errors.Is(err, auth.ErrRefreshReused) {
		t.Fatalf("spent token presented again: %v, want ErrRefreshReused", err)
	}
	m1.Close()
	m2 := newManager(t, second(t))
	if _, err := m2.Refresh(auth.RefreshRequest{Token: r1.RefreshToken}); !errors.Is(err, auth.ErrRefreshRevoked) {
		t.Fatalf("current token of a family revoked by reuse, on another manager over the same store: %v, want ErrRefreshRevoked", err)
	}
	if _, err := m2.Verify(r1.AccessToken); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Fatalf("access token of a family revoked by reuse, on another manager: %v, want ErrTokenInvalid", err)
	}
}

func newManager(t *testing.T, s auth.RefreshStore) *auth.Manager {
	t.Helper()
	m, err := auth.New(auth.Config{Secret: managerSecret, Users: auth.DemoUsers(), Store: s, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// login logs the demo user alice in on m.
func login(t *testing.T, m *auth.Manager) auth.LoginResult {
	t.Helper()
	type result struct {
		res auth.LoginResult
		err error
	}
	ch := make(chan result, 1)
	if err := m.Login(auth.LoginRequest{Username: "alice", Password: "alice123"}, func(r auth.LoginResult, err error) {
		ch <- result{r, err}
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("login: %v", r.err)
		}
		return r.res
	case <-time.After(30 * time.Second):
		t.Fatal("login did not finish")
		panic("unreachable")
	}
}
