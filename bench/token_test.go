package bench

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestMintToken(t *testing.T) {
	now := time.Now()
	tok, err := mintToken([]byte("k"), "u7", now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return []byte("k"), nil },
		jwt.WithValidMethods([]string{"HS256"}))
	if err != nil {
		t.Fatal(err)
	}
	sub, _ := parsed.Claims.GetSubject()
	exp, _ := parsed.Claims.GetExpirationTime()
	iat, _ := parsed.Claims.GetIssuedAt()
	if sub != "u7" || exp.Unix() != now.Add(time.Hour).Unix() || iat.Unix() != now.Unix() {
		t.Fatalf("claims sub %q exp %v iat %v", sub, exp, iat)
	}
	if parsed.Header["alg"] != "HS256" || parsed.Header["typ"] != "JWT" {
		t.Fatalf("header %v", parsed.Header)
	}
}

func TestLoginName(t *testing.T) {
	for _, tc := range []struct {
		pattern, prefix string
		n               int
		want            string
	}{
		{pattern: "", prefix: "u", n: 3, want: "u3"},
		{pattern: "alice", prefix: "u", n: 3, want: "alice"},
		{pattern: "user%d@x", prefix: "u", n: 42, want: "user42@x"},
	} {
		if got := loginName(tc.pattern, tc.prefix, tc.n); got != tc.want {
			t.Errorf("loginName(%q, %q, %d) = %q, want %q", tc.pattern, tc.prefix, tc.n, got, tc.want)
		}
	}
}
