package bench_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/imgate/gateway/bench"
	"github.com/imgate/gateway/bench/benchtest"
)

// Short real runs of every scenario against the gateway itself (and, for
// echo, the engine's echo server), in this process over loopback. Only
// counts are checked: no timing, so they pass on a slow machine.

func gatewayConfig(url string, conns int) bench.Config {
	return bench.Config{Targets: []string{url}, Conns: conns, Secret: benchtest.Secret,
		Timeout: 10 * time.Second, Duration: 200 * time.Millisecond}
}

func TestGatewayConnect(t *testing.T) {
	srv := benchtest.StartGateway(t, benchtest.GatewayOptions{Users: 10})
	for _, tc := range []struct {
		name string
		auth bench.AuthMode
	}{
		{name: "query", auth: bench.AuthQuery},
		{name: "header", auth: bench.AuthHeader},
		{name: "subprotocol", auth: bench.AuthSubprotocol},
		{name: "login", auth: bench.AuthLogin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := gatewayConfig(srv.URL, 10)
			cfg.Auth, cfg.LoginUser, cfg.LoginPass = tc.auth, "bench%d", benchtest.Password
			rep, err := bench.Connect(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Connected != 10 || rep.Failed != 0 || rep.Latency[bench.LatencyAuth].Count != 10 {
				t.Fatalf("connected %d failed %d errors %v latency %+v", rep.Connected, rep.Failed, rep.Errors, rep.Latency)
			}
		})
	}
}

func TestGatewayConnectRejects(t *testing.T) {
	srv := benchtest.StartGateway(t, benchtest.GatewayOptions{Users: 1})
	for _, tc := range []struct {
		name    string
		mutate  func(*bench.Config)
		wantErr string
	}{
		{name: "forged token", mutate: func(c *bench.Config) { c.Secret = []byte("not-the-gateway-secret-0123456789") }, wantErr: "401"},
		{name: "wrong password", mutate: func(c *bench.Config) { c.Auth, c.LoginUser, c.LoginPass = bench.AuthLogin, "bench%d", "nope" }, wantErr: "login 401"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := gatewayConfig(srv.URL, 1)
			tc.mutate(&cfg)
			rep, err := bench.Connect(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Connected != 0 || rep.Errors[tc.wantErr] != 1 {
				t.Fatalf("connected %d errors %v, want 1 × %q", rep.Connected, rep.Errors, tc.wantErr)
			}
		})
	}
}

func TestGatewayIdle(t *testing.T) {
	srv := benchtest.StartGateway(t, benchtest.GatewayOptions{})
	cfg := gatewayConfig(srv.URL, 50)
	cfg.StatsURL = srv.StatsURL + "?gc=1"
	cfg.ServerPIDs = []int{os.Getpid()}
	rep, err := bench.Idle(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Connected != 50 || len(rep.Drops) != 0 || rep.Memory == nil || rep.Memory.ServerAfter == 0 {
		t.Fatalf("connected %d drops %v memory %+v", rep.Connected, rep.Drops, rep.Memory)
	}
	if rep.Stats == nil || rep.Stats.Error != "" || !hasDelta(rep.Stats.Deltas, "sessions", 50) {
		t.Fatalf("stats %+v", rep.Stats)
	}
}

func hasDelta(ds []bench.StatDelta, key string, want float64) bool {
	for _, d := range ds {
		if d.Key == key && d.After-d.Before == want {
			return true
		}
	}
	return false
}

func TestGatewayEcho(t *testing.T) {
	srv := benchtest.StartEcho(t)
	for _, tc := range []struct {
		name    string
		payload int
		binary  bool
	}{
		{name: "64 B text", payload: 64},
		{name: "1 KiB binary", payload: 1024, binary: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := gatewayConfig(srv.URL, 8)
			cfg.Auth, cfg.Payload, cfg.Binary, cfg.Inflight = bench.AuthNone, tc.payload, tc.binary, 4
			rep, err := bench.Echo(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			e := rep.Echo
			if rep.Connected != 8 || e.Messages == 0 || e.Unexpected != 0 || rep.Latency[bench.LatencyRTT].Count != e.Messages {
				t.Fatalf("connected %d echo %+v rtt %+v", rep.Connected, e, rep.Latency[bench.LatencyRTT])
			}
		})
	}
}

func TestGatewayChat(t *testing.T) {
	srv := benchtest.StartGateway(t, benchtest.GatewayOptions{})
	for _, tc := range []struct {
		name     string
		to       string
		msgRate  float64
		inflight int
	}{
		{name: "random, closed loop", to: bench.ToRandom, inflight: 4},
		{name: "random, paced", to: bench.ToRandom, msgRate: 100},
		{name: "self", to: bench.ToSelf, inflight: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := gatewayConfig(srv.URL, 20)
			cfg.To, cfg.MsgRate, cfg.Inflight = tc.to, tc.msgRate, tc.inflight
			rep, err := bench.Chat(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			c := rep.Chat
			if rep.Connected != 20 || c.Sent == 0 || c.Acked != c.Sent || c.Unacked != 0 || c.Foreign != 0 || c.Duplicates != 0 {
				t.Fatalf("connected %d chat %+v", rep.Connected, c)
			}
			if tc.to == bench.ToSelf {
				// One session per user: the gateway does not echo a SEND to
				// the session that sent it, so nothing is delivered.
				if c.Delivered != 0 || c.AckedNotDelivered != c.Acked {
					t.Fatalf("self: %+v", c)
				}
				return
			}
			if c.Delivered != c.Acked || c.Lost != 0 || rep.Latency[bench.LatencyE2E].Count != c.Delivered {
				t.Fatalf("delivered %d of %d, lost %d, e2e %+v", c.Delivered, c.Acked, c.Lost, rep.Latency[bench.LatencyE2E])
			}
		})
	}
}
