package auth

import (
	"testing"
	"time"
)

// BenchmarkVerifyKID is Verify with a key set: the header's kid is read to
// pick the key before the signature check.
func BenchmarkVerifyKID(b *testing.B) {
	benchVerify(b, newTestManager(b, func(c *Config) { c.Now = nil; c.Workers = 1; c.Keys = hmacSet(b, "k2", "k1", "k2") }))
}

// BenchmarkRefreshMemory is one rotation (read, check, compare-and-swap,
// sign a new access token) on the memory store.
func BenchmarkRefreshMemory(b *testing.B) {
	benchRefresh(b, nil)
}

func benchRefresh(b *testing.B, store RefreshStore) {
	m := newTestManager(b, func(c *Config) { c.Now = nil; c.Workers = 1; c.RefreshTTL = time.Hour; c.Store = store })
	res, err := m.startFamily("alice", "web001")
	if err != nil {
		b.Fatal(err)
	}
	tok := res.RefreshToken
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := m.Refresh(RefreshRequest{Token: tok, DeviceID: "web001"})
		if err != nil {
			b.Fatal(err)
		}
		tok = res.RefreshToken
	}
}
