package cluster

import (
	"strings"
	"testing"
)

func TestUserSubject(t *testing.T) {
	for _, tc := range []struct{ user, subject string }{
		{"alice", "gateway.user.alice"},
		{"User_123-x", "gateway.user.User_123-x"},
		{"a.b", "gateway.user.a%2Eb"},
		{"bob@example.com", "gateway.user.bob%40example%2Ecom"},
		{"a b*c>d", "gateway.user.a%20b%2Ac%3Ed"},
		{"50%", "gateway.user.50%25"},
		{"用", "gateway.user.%E7%94%A8"},
	} {
		t.Run(tc.user, func(t *testing.T) {
			if got := UserSubject(tc.user); got != tc.subject {
				t.Fatalf("UserSubject(%q) = %q, want %q", tc.user, got, tc.subject)
			}
			if back, ok := UserFromSubject(tc.subject); !ok || back != tc.user {
				t.Fatalf("UserFromSubject(%q) = %q, %v", tc.subject, back, ok)
			}
		})
	}
}

func TestUserFromSubjectRefuses(t *testing.T) {
	for _, s := range []string{
		"gateway.user.", "gateway.user", "gateway.up.10001", "other.user.a", "gateway.user.a.b",
		"gateway.user.%", "gateway.user.%4", "gateway.user.%zz", "gateway.user.%2e", // lower-case hex
		"gateway.user.%41", // 'A' is plain: EscapeUserID never writes %41
		"gateway.user.a b",
	} {
		if u, ok := UserFromSubject(s); ok {
			t.Errorf("UserFromSubject(%q) = %q, want refusal", s, u)
		}
	}
}

func TestUpSubject(t *testing.T) {
	if got := UpSubject(10001); got != "gateway.up.10001" {
		t.Fatalf("UpSubject = %q", got)
	}
}

// FuzzUserSubject checks that escaping is a valid single NATS token and
// round-trips, and that parsing any subject (also cut in two, as a partial
// read would) never panics and accepts only what escaping writes.
func FuzzUserSubject(f *testing.F) {
	for i, s := range []string{"alice", "a.b", "x y", "%", "用户", "\x00\xff", strings.Repeat("é", 64)} {
		f.Add(s, uint(i))
	}
	f.Fuzz(func(t *testing.T, s string, cut uint) {
		sub := UserSubject(s)
		tok := sub[len(UserSubjectPrefix):]
		if strings.ContainsAny(tok, ".*> \t\r\n") {
			t.Fatalf("UserSubject(%q) = %q is not one token", s, sub)
		}
		if back, ok := UserFromSubject(sub); s != "" && (!ok || back != s) {
			t.Fatalf("round trip of %q gave %q, %v", s, back, ok)
		}
		i := int(cut % uint(len(s)+1))
		for _, piece := range []string{s[:i], s[i:], s} {
			if u, ok := UserFromSubject(piece); ok && UserSubject(u) != piece {
				t.Fatalf("UserFromSubject(%q) = %q, which escapes to %q", piece, u, UserSubject(u))
			}
		}
	})
}
