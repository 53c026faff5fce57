package boltstore

import (
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/imgate/gateway/auth"
)

var benchSecret = []byte("0123456789abcdef0123456789abcdef-bench-secret")

// benchManager is a Manager on a fresh bbolt file.
func benchManager(b *testing.B) *auth.Manager {
	b.Helper()
	s, err := Open(filepath.Join(b.TempDir(), FileName), Options{})
	if err != nil {
		b.Fatal(err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte("bench-password"), bcrypt.MinCost)
	if err != nil {
		b.Fatal(err)
	}
	users := auth.NewUsers()
	if err := users.Set("bench", string(hash)); err != nil {
		b.Fatal(err)
	}
	m, err := auth.New(auth.Config{Secret: benchSecret, Store: s, Users: users, RefreshTTL: time.Hour, Workers: 1,
		Throttle: auth.ThrottleConfig{Disabled: true}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close(); _ = s.Close() })
	return m
}

// startFamilies logs in n times (bcrypt at its lowest cost) and returns
// the refresh tokens.
func startFamilies(b *testing.B, m *auth.Manager, n int) chan string {
	b.Helper()
	out := make(chan string, n)
	for range n {
		done := make(chan auth.LoginResult, 1)
		err := m.Login(auth.LoginRequest{Username: "bench", Password: "bench-password"}, func(r auth.LoginResult, err error) {
			if err != nil {
				b.Error(err)
			}
			done <- r
		})
		if err != nil {
			b.Fatal(err)
		}
		out <- (<-done).RefreshToken
	}
	return out
}

// BenchmarkRefreshSerial is one rotation at a time: each waits for its own
// fsync.
func BenchmarkRefreshSerial(b *testing.B) {
	m := benchManager(b)
	tok := <-startFamilies(b, m, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := m.Refresh(auth.RefreshRequest{Token: tok})
		if err != nil {
			b.Fatal(err)
		}
		tok = res.RefreshToken
	}
}

// BenchmarkRefreshParallel is many families refreshing at once: bbolt's
// Batch puts concurrent rotations into one transaction and one fsync.
func BenchmarkRefreshParallel(b *testing.B) {
	m := benchManager(b)
	const par = 16
	b.SetParallelism(par)
	toks := startFamilies(b, m, par*runtime.GOMAXPROCS(0))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		tok := <-toks
		for pb.Next() {
			res, err := m.Refresh(auth.RefreshRequest{Token: tok})
			if err != nil {
				b.Error(err)
				return
			}
			tok = res.RefreshToken
		}
	})
}
