package bench

import (
	"context"
	"testing"
	"time"
)

func TestChat(t *testing.T) {
	for _, tc := range []struct {
		name     string
		srv      *testServer
		msgRate  float64
		inflight int
		wantLoss bool
		wantDups bool
		login    bool
	}{
		{name: "fast", srv: &testServer{}, inflight: 2},
		{name: "paced", srv: &testServer{}, msgRate: 200},
		{name: "server drops", srv: &testServer{dropEvery: 3}, inflight: 1, wantLoss: true},
		{name: "server duplicates", srv: &testServer{dup: true}, inflight: 1, wantDups: true},
		{name: "login names users", srv: &testServer{password: "pw"}, inflight: 1, login: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.srv.secret = testSecret
			srv := tc.srv.start(t)
			cfg := testConfig(srv.url, 4)
			cfg.Duration = 300 * time.Millisecond
			cfg.MsgRate = tc.msgRate
			cfg.Inflight = tc.inflight
			if tc.login {
				cfg.Auth, cfg.LoginUser, cfg.LoginPass = AuthLogin, "alice%d", "pw"
			}
			rep, err := Chat(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			c := rep.Chat
			if rep.Connected != 4 || c == nil || c.Sent == 0 || c.Foreign != 0 || len(rep.Drops) != 0 {
				t.Fatalf("connected %d chat %+v drops %v", rep.Connected, c, rep.Drops)
			}
			if c.Unacked != 0 || c.Acked != c.Sent || srv.sends.Load() != c.Sent {
				t.Fatalf("sent %d acked %d unacked %d, server saw %d", c.Sent, c.Acked, c.Unacked, srv.sends.Load())
			}
			if tc.wantLoss {
				if c.Lost != srv.dropped.Load() || c.Lost == 0 || c.AckedNotDelivered != c.Lost {
					t.Fatalf("lost %d (acked not delivered %d), server dropped %d", c.Lost, c.AckedNotDelivered, srv.dropped.Load())
				}
			} else if c.Lost != 0 || c.Delivered != c.Acked {
				t.Fatalf("delivered %d of %d acked, lost %d", c.Delivered, c.Acked, c.Lost)
			}
			if wantDups := map[bool]int64{true: c.Delivered, false: 0}[tc.wantDups]; c.Duplicates != wantDups {
				t.Fatalf("duplicates %d, want %d", c.Duplicates, wantDups)
			}
			if rep.Latency[LatencyE2E].Count != c.Delivered+c.Duplicates || rep.Latency[LatencyAck].Count == 0 {
				t.Fatalf("latency %+v", rep.Latency)
			}
		})
	}
}

func TestParseContent(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		ok   bool
		ns   int64
		from int
		seq  int64
	}{
		{name: "plain", in: "bench:123:4:5:", ok: true, ns: 123, from: 4, seq: 5},
		{name: "padded", in: "bench:1:0:9:xxxxxx", ok: true, ns: 1, from: 0, seq: 9},
		{name: "no prefix", in: "hello:1:2:3:", ok: false},
		{name: "short", in: "bench:1:2", ok: false},
		{name: "negative", in: "bench:1:-2:3:", ok: false},
		{name: "not a number", in: "bench:1:a:3:", ok: false},
		{name: "empty", in: "", ok: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns, from, seq, ok := parseContent([]byte(tc.in))
			if ok != tc.ok || (ok && (ns != tc.ns || from != tc.from || seq != tc.seq)) {
				t.Fatalf("parseContent(%q) = %d %d %d %v", tc.in, ns, from, seq, ok)
			}
		})
	}
}

func TestSenderLogMark(t *testing.T) {
	var l senderLog
	for _, tc := range []struct {
		seq  int64
		want bool
	}{
		{seq: 1, want: true},
		{seq: 1, want: false},
		{seq: 64, want: true},
		{seq: 1000, want: true},
		{seq: 64, want: false},
		{seq: 0, want: true},
		{seq: maxSeq, want: true},
	} {
		if got := l.mark(tc.seq); got != tc.want {
			t.Errorf("mark(%d) = %v, want %v", tc.seq, got, tc.want)
		}
	}
}
