package auth

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// A family revoked because a spent token came back stays revoked once the
// in-memory entry has lapsed (AccessTTL + Leeway + 1s after the reuse): the
// revocation is in the store (Family.Revoked), not only in memory. The
// clock is Config.Now, moved forward by hand.
func TestReuseRevocationOutlivesMemory(t *testing.T) {
	var now atomic.Int64
	now.Store(testNow.UnixNano())
	m := newTestManager(t, func(c *Config) { c.Now = func() time.Time { return time.Unix(0, now.Load()) } })
	first := family(t, m, "alice", "")
	second, err := m.Refresh(RefreshRequest{Token: first.RefreshToken})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Refresh(RefreshRequest{Token: first.RefreshToken}); !errors.Is(err, ErrRefreshReused) {
		t.Fatalf("spent token presented again: %v", err)
	}
	if !m.IsRevoked(first.Family) {
		t.Fatal("family not revoked in memory after reuse")
	}
	now.Add(int64(m.AccessTTL() + m.Leeway() + time.Minute)) // well before the family expires
	if _, err := m.Prune(); err != nil {
		t.Fatal(err)
	}
	if m.IsRevoked(first.Family) {
		t.Fatal("the in-memory entry outlived its life: the test would not reach the store")
	}
	if _, err := m.Refresh(RefreshRequest{Token: second.RefreshToken}); !errors.Is(err, ErrRefreshRevoked) {
		t.Fatalf("current token of a family revoked by reuse, after the in-memory entry lapsed: %v, want ErrRefreshRevoked", err)
	}
}
