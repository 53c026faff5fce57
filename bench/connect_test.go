package bench

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/imgate/gateway/internal/testutil"
)

var testSecret = []byte("test-secret-not-for-production")

// testConfig is a Config for n connections to url.
func testConfig(url string, n int) Config {
	return Config{
		Targets: []string{url},
		Conns:   n,
		Secret:  testSecret,
		Timeout: 10 * time.Second,
	}
}

func TestConnectAuthModes(t *testing.T) {
	srv := (&testServer{secret: testSecret, password: "pw"}).start(t)
	for _, tc := range []struct {
		name string
		auth AuthMode
	}{
		{name: "query", auth: AuthQuery},
		{name: "header", auth: AuthHeader},
		{name: "subprotocol", auth: AuthSubprotocol},
		{name: "login", auth: AuthLogin},
		{name: "none", auth: AuthNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(srv.url, 20)
			cfg.Auth = tc.auth
			cfg.LoginPass = "pw"
			cfg.Rate = 2000
			rep, err := Connect(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Connected != 20 || rep.Failed != 0 || len(rep.Errors) != 0 {
				t.Fatalf("connected %d failed %d errors %v", rep.Connected, rep.Failed, rep.Errors)
			}
			for _, name := range []string{LatencyTCP, LatencyUpgrade, LatencyAuth} {
				if got := rep.Latency[name].Count; got != 20 {
					t.Errorf("latency %s count %d, want 20", name, got)
				}
			}
			if len(rep.Drops) != 0 {
				t.Errorf("drops %v", rep.Drops)
			}
		})
	}
}

func TestConnectErrors(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "ws://" + closed.Addr().String() + "/"
	_ = closed.Close()
	for _, tc := range []struct {
		name    string
		srv     *testServer
		url     string
		mutate  func(*Config)
		wantErr string
	}{
		{name: "bad token", srv: &testServer{secret: testSecret},
			mutate: func(c *Config) { c.Secret = []byte("wrong") }, wantErr: "401"},
		{name: "bad password", srv: &testServer{password: "pw"},
			mutate: func(c *Config) { c.Auth, c.LoginPass = AuthLogin, "nope" }, wantErr: "login 401"},
		{name: "http 503", srv: &testServer{status: 503}, wantErr: "http 503"},
		{name: "refused", url: closedURL, wantErr: "refused"},
		{name: "timeout", srv: &testServer{silent: true},
			mutate: func(c *Config) { c.Timeout = 50 * time.Millisecond }, wantErr: "timeout"},
		{name: "no hello", srv: &testServer{noHello: true, closeAfter: true}, wantErr: "close 1001"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := tc.url
			if tc.srv != nil {
				url = tc.srv.start(t).url
			}
			cfg := testConfig(url, 5)
			if tc.mutate != nil {
				tc.mutate(&cfg)
			}
			rep, err := Connect(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Connected != 0 || rep.Failed != 5 || rep.Errors[tc.wantErr] != 5 {
				t.Fatalf("connected %d failed %d errors %v, want 5 × %q", rep.Connected, rep.Failed, rep.Errors, tc.wantErr)
			}
		})
	}
}

func TestConnectRoundRobinTargetsAndSrc(t *testing.T) {
	a := (&testServer{secret: testSecret}).start(t)
	b := (&testServer{secret: testSecret}).start(t)
	src, err := ParseSrc("127.0.0.2-127.0.0.4")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(a.url, 12)
	cfg.Targets = append(cfg.Targets, b.url)
	cfg.Src = src
	r := newRunner("test", mustDefaults(t, cfg), true)
	peers := map[string]int{}
	done := make(chan string, 12)
	r.connectAll(context.Background(), func(c *conn) error {
		done <- c.nc.LocalAddr().(*net.TCPAddr).IP.String()
		return r.idleBody(c)
	})
	for range 12 {
		peers[<-done]++
	}
	testutil.Eventually(t, 10*time.Second, func() error {
		if a.live.Load() != 6 || b.live.Load() != 6 {
			return fmt.Errorf("live %d and %d, want 6 and 6", a.live.Load(), b.live.Load())
		}
		return nil
	})
	r.closeAll()
	for _, ip := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"} {
		if peers[ip] != 4 {
			t.Errorf("source %s used %d times, want 4 (%v)", ip, peers[ip], peers)
		}
	}
}

func TestConnectRefusesTooManyConns(t *testing.T) {
	nofile, err := RaiseNoFileLimit()
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig("ws://127.0.0.1:1/", MaxConns(nofile)+1)
	if _, err := Connect(context.Background(), cfg); err == nil || !errorsIs(err, ErrTooManyConns) {
		t.Fatalf("err = %v, want ErrTooManyConns", err)
	}
}

func TestConnectCanceled(t *testing.T) {
	srv := (&testServer{secret: testSecret}).start(t)
	cfg := testConfig(srv.url, 1000)
	cfg.Rate = 1 // one a second: the cancel comes long before the end
	ctx, cancel := context.WithCancel(context.Background())
	cfg.Progress = progressFunc(func(string) { cancel() })
	rep, err := Connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Interrupted || rep.NotStarted == 0 {
		t.Fatalf("interrupted %v, not started %d", rep.Interrupted, rep.NotStarted)
	}
}

func mustDefaults(t *testing.T, cfg Config) Config {
	t.Helper()
	cfg, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
