package bench

import (
	"errors"
	"net/netip"
	"testing"
	"time"
)

func TestParseTargets(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		want    []string
		wantErr error
	}{
		{name: "host port", in: "127.0.0.1:8080", want: []string{"ws://127.0.0.1:8080/"}},
		{name: "list", in: "127.0.0.1:8080, ws://h:1/chat?x=1 ,wss://h:2",
			want: []string{"ws://127.0.0.1:8080/", "ws://h:1/chat?x=1", "wss://h:2/"}},
		{name: "ipv6", in: "[::1]:9", want: []string{"ws://[::1]:9/"}},
		{name: "empty", in: " , ", wantErr: ErrNoTarget},
		{name: "no port", in: "localhost", wantErr: ErrBadTarget},
		{name: "http scheme", in: "http://h:1/", wantErr: ErrBadTarget},
		{name: "no host", in: "ws:///x", wantErr: ErrBadTarget},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTargets(tc.in)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if !equalStrings(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseSrc(t *testing.T) {
	for _, tc := range []struct {
		name      string
		in        string
		wantN     int
		wantFirst string
		wantLast  string
		wantErr   bool
	}{
		{name: "empty", in: ""},
		{name: "one", in: "127.0.0.2", wantN: 1, wantFirst: "127.0.0.2", wantLast: "127.0.0.2"},
		{name: "range", in: "127.0.0.2-127.0.0.80", wantN: 79, wantFirst: "127.0.0.2", wantLast: "127.0.0.80"},
		{name: "range over octet", in: "127.0.0.250-127.0.1.4", wantN: 11, wantFirst: "127.0.0.250", wantLast: "127.0.1.4"},
		{name: "mixed", in: "10.0.0.1, 127.0.0.2-127.0.0.3", wantN: 3, wantFirst: "10.0.0.1", wantLast: "127.0.0.3"},
		{name: "backwards", in: "127.0.0.9-127.0.0.2", wantErr: true},
		{name: "families", in: "127.0.0.1-::1", wantErr: true},
		{name: "garbage", in: "localhost", wantErr: true},
		{name: "too many", in: "10.0.0.0-10.2.0.0", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSrc(tc.in)
			if (err != nil) != tc.wantErr || (err != nil && !errors.Is(err, ErrBadSrc)) {
				t.Fatalf("err = %v", err)
			}
			if len(got) != tc.wantN {
				t.Fatalf("got %d addresses, want %d", len(got), tc.wantN)
			}
			if tc.wantN > 0 && (got[0] != netip.MustParseAddr(tc.wantFirst) || got[len(got)-1] != netip.MustParseAddr(tc.wantLast)) {
				t.Fatalf("range %v..%v", got[0], got[len(got)-1])
			}
		})
	}
}

func TestWithDefaults(t *testing.T) {
	base := Config{Targets: []string{"ws://h:1/"}, Secret: []byte("s")}
	for _, tc := range []struct {
		name    string
		mutate  func(*Config)
		wantErr error
		check   func(Config) bool
	}{
		{name: "defaults", check: func(c Config) bool {
			return c.Conns == DefaultConns && c.Duration == DefaultDuration && c.Auth == AuthQuery &&
				c.Inflight == 1 && c.UserPrefix == "u" && c.Concurrency == DefaultConcurrency
		}},
		{name: "ramp sets rate", mutate: func(c *Config) { c.Conns, c.Ramp = 1000, 2*time.Second },
			check: func(c Config) bool { return c.Rate == 500 }},
		{name: "rate wins over ramp", mutate: func(c *Config) { c.Conns, c.Ramp, c.Rate = 1000, 2*time.Second, 7 },
			check: func(c Config) bool { return c.Rate == 7 }},
		{name: "no target", mutate: func(c *Config) { c.Targets = nil }, wantErr: ErrNoTarget},
		{name: "bad target", mutate: func(c *Config) { c.Targets = []string{"http://x/"} }, wantErr: ErrBadTarget},
		{name: "no secret", mutate: func(c *Config) { c.Secret = nil }, wantErr: ErrNoSecret},
		{name: "login needs no secret", mutate: func(c *Config) { c.Secret, c.Auth = nil, AuthLogin }},
		{name: "bad auth", mutate: func(c *Config) { c.Auth = "cookie" }, wantErr: ErrBadConfig},
		{name: "negative", mutate: func(c *Config) { c.Conns = -1 }, wantErr: ErrBadConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			if tc.mutate != nil {
				tc.mutate(&c)
			}
			got, err := c.withDefaults()
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if tc.check != nil && !tc.check(got) {
				t.Fatalf("config %+v", got)
			}
		})
	}
}
