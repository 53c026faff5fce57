package auth

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func benchManager(b *testing.B) *Manager {
	b.Helper()
	// The real clock: Verify's cost includes reading it.
	return newTestManager(b, func(c *Config) { c.Now = nil; c.Workers = 1 })
}

func BenchmarkVerifyHS256(b *testing.B) {
	benchVerify(b, benchManager(b))
}

// benchVerify times m.Verify of an access token m issued.
func benchVerify(b *testing.B, m *Manager) {
	token, _, err := m.IssueAccess("user123", "web001")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.Verify(token); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyHS256Parallel(b *testing.B) {
	m := benchManager(b)
	token, _, err := m.IssueAccess("user123", "web001")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := m.Verify(token); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkVerifyBadSignature is the cost of a forged token, which an
// attacker can send as often as connections allow.
func BenchmarkVerifyBadSignature(b *testing.B) {
	m := benchManager(b)
	token := craft(b, header("HS256"), claimsAt("user123", time.Hour), flipped(hs256))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.Verify(token); err == nil {
			b.Fatal("accepted")
		}
	}
}

func BenchmarkIssueAccess(b *testing.B) {
	m := benchManager(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := m.IssueAccess("user123", "web001"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyMapClaimsBaseline is golang-jwt used the default way (a
// new parser per call, MapClaims) with the same checks: the baseline that
// Verify's reused parser and concrete claims struct are measured against.
func BenchmarkVerifyMapClaimsBaseline(b *testing.B) {
	m := benchManager(b)
	token, _, err := m.IssueAccess("user123", "web001")
	if err != nil {
		b.Fatal(err)
	}
	key := func(*jwt.Token) (any, error) { return testSecret, nil }
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_, err := jwt.Parse(token, key, jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired())
		if err != nil {
			b.Fatal(err)
		}
	}
}
