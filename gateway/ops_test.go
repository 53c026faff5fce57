package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/imgate/gateway/internal/testlog"
	"github.com/imgate/gateway/internal/testutil"
)

// GET /metrics over real HTTP after real connections: every metric of the
// issue is there with the values the traffic implies, and no label value
// is a user id, a token or an address.
func TestMetrics(t *testing.T) {
	st := startStack(t, defaultStackOptions())
	base := st.serveAPI(t)
	alice := st.connectAs(t, "alice", "a1")
	bob := st.connectAs(t, "bob", "b1")
	anon := testutil.Dial(t, st.url)
	anon.Read()
	if r := anon.Login("alice", "wrong-password", 1); r.Code != 401 {
		t.Fatalf("bad login: %+v", r)
	}
	bad := testutil.Dial(t, st.url+"?token=not.a.jwt")
	bad.Read()
	alice.Send(map[string]any{"cmd_id": 2001, "seq": 1, "body": map[string]any{"to_uid": "bob", "content": "hi"}})
	alice.Read()
	bob.Read()
	alice.Send(map[string]any{"cmd_id": 1003, "seq": 2, "body": map[string]any{}})
	alice.Read()
	alice.SendRaw(1, []byte("{not json"))
	alice.Read()
	// An unmasked frame is a protocol error: close 1002, a warning.
	if _, err := bad.Conn.Write([]byte{0x81, 0x00}); err != nil {
		t.Fatal(err)
	}
	if code := bad.ExpectClose(); code != 1002 {
		t.Fatalf("close %d, want 1002", code)
	}

	testutil.Eventually(t, testWait, wantMetric(t, base, "imgate_connections", 2, "state", "authenticated"))
	testutil.Eventually(t, testWait, wantMetric(t, base, "imgate_connections", 1, "state", "unauthenticated"))
	mf := scrape(t, base)
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"imgate_connections", []string{"state", "handshaking"}, 0},
		{"imgate_handshakes_total", []string{"result", "upgraded"}, 4},
		{"imgate_handshakes_total", []string{"result", "forbidden_origin"}, 0},
		{"imgate_auth_failures_total", []string{"reason", "invalid_token"}, 1},
		{"imgate_auth_failures_total", []string{"reason", "bad_credentials"}, 1},
		{"imgate_messages_in_total", []string{"cmd", "2001"}, 1},
		{"imgate_messages_in_total", []string{"cmd", "1003"}, 1},
		{"imgate_messages_in_total", []string{"cmd", "1001"}, 1},
		{"imgate_messages_in_total", []string{"cmd", "other"}, 1},
		{"imgate_messages_out_total", []string{"cmd", "2001"}, 1},
		{"imgate_pushes_delivered_total", nil, 1},
		{"imgate_pushes_dropped_total", nil, 0},
		{"imgate_logins_total", nil, 0},
		{"imgate_close_codes_total", []string{"code", "1002"}, 1},
		{"imgate_slow_consumer_closes_total", nil, 0},
		{"imgate_users", nil, 2},
		{"imgate_draining", nil, 0},
	} {
		t.Run(fmt.Sprint(tc.name, tc.labels), func(t *testing.T) {
			got, ok := metricValue(mf, tc.name, tc.labels...)
			if !ok || got != tc.want {
				t.Fatalf("%s%v = %v (present %v), want %v", tc.name, tc.labels, got, ok, tc.want)
			}
		})
	}
	for _, name := range []string{"imgate_bytes_in_total", "imgate_bytes_out_total", "imgate_loop_busy_seconds_total"} {
		if v, ok := metricValue(mf, name); !ok || v <= 0 {
			t.Errorf("%s = %v (present %v), want > 0", name, v, ok)
		}
	}
	if n := len(mf["imgate_shard_queue_depth"].GetMetric()); n != st.hub.Shards() {
		t.Errorf("%d shard_queue_depth series, want %d", n, st.hub.Shards())
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "imgate_loop_connections"} {
		if mf[name] == nil {
			t.Errorf("%s missing", name)
		}
	}
	// Label values are fixed sets: never a user, a token or an address.
	for name, f := range mf {
		for _, m := range f.GetMetric() {
			for _, lp := range m.GetLabel() {
				v := lp.GetValue()
				if v == "alice" || v == "bob" || strings.Contains(v, "127.0.0.1") || strings.Contains(v, "eyJ") {
					t.Errorf("%s has label %s=%q", name, lp.GetName(), v)
				}
			}
		}
	}
	if !strings.Contains(string(testlog.Lines()), `level=WARN msg="connection closed"`) {
		t.Error("no warning for the protocol error")
	}
}

func TestHealthAndReadiness(t *testing.T) {
	o := defaultStackOptions()
	o.engine.MaxConns = 2
	st := startStack(t, o)
	base := st.serveAPI(t)
	for _, tc := range []struct {
		name   string
		before func()
		path   string
		status int
		body   string
	}{
		{"healthz", nil, "/healthz", 200, "ok\n"},
		{"ready", nil, "/readyz", 200, "ready\n"},
		{"draining", func() { st.srv.SetDraining(true) }, "/readyz", 503, "draining\n"},
		{"healthz while draining", nil, "/healthz", 200, "ok\n"},
		{"ready again", func() { st.srv.SetDraining(false) }, "/readyz", 200, "ready\n"},
		{"at max-conns", func() {
			st.connectAs(t, "alice", "a1")
			st.connectAs(t, "bob", "b1")
		}, "/readyz", 503, "at max-conns\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before()
			}
			status, body := testutil.Get(t, base+tc.path)
			if status != tc.status || body != tc.body {
				t.Fatalf("GET %s: %d %q, want %d %q", tc.path, status, body, tc.status, tc.body)
			}
		})
	}
}

func TestStatsJSON(t *testing.T) {
	st := startStack(t, defaultStackOptions())
	base := st.serveAPI(t)
	alice := st.connectAs(t, "alice", "a1")
	alice.Send(map[string]any{"cmd_id": 1003, "seq": 1, "body": map[string]any{}})
	alice.Read()
	status, body := testutil.Get(t, base+"/api/stats")
	if status != http.StatusOK {
		t.Fatalf("/api/stats: %d %s", status, body)
	}
	var d statsDoc
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	switch {
	case d.Connections != 1 || d.Upgraded != 1 || d.Upgrades != 1:
		t.Errorf("counts %+v", d)
	case d.RSS <= 0 || d.HeapInuse == 0 || d.Goroutines == 0:
		t.Errorf("memory %d/%d goroutines %d", d.RSS, d.HeapInuse, d.Goroutines)
	case d.MessagesIn != 1 || d.ByCmdIn["1003"] != 1:
		t.Errorf("messages in %d %v", d.MessagesIn, d.ByCmdIn)
	case len(d.Loops) == 0 || d.LoopDelayMaxNs <= 0:
		t.Errorf("loops %+v delay %d", d.Loops, d.LoopDelayMaxNs)
	case len(d.Shards) != st.hub.Shards() || d.ShardDelayMaxNs <= 0:
		t.Errorf("shards %d delay %d", len(d.Shards), d.ShardDelayMaxNs)
	case d.TimeMs == 0 || d.Draining:
		t.Errorf("time %d draining %v", d.TimeMs, d.Draining)
	}
}

// A client over -msg-rate gets 429 with its seq echoed; one that keeps on
// is closed 4029; another client is not affected.
func TestMessageRate(t *testing.T) {
	o := defaultStackOptions()
	o.messageRate = MessageRate{PerSecond: 0.5, Burst: 3}
	st := startStack(t, o)
	base := st.serveAPI(t)
	flood := st.connectAs(t, "alice", "a1")
	calm := st.connectAs(t, "bob", "b1")
	hb := func(c *testutil.Client, seq int) {
		c.Send(map[string]any{"cmd_id": 1003, "seq": seq, "body": map[string]any{}})
	}
	for seq := 1; seq <= 3; seq++ {
		hb(flood, seq)
		if r := flood.Read(); r.Code != 200 {
			t.Fatalf("message %d within the burst: %+v", seq, r)
		}
	}
	hb(flood, 4)
	if r := flood.Read(); r.Code != 429 || r.ErrMsg != "too many requests" || r.Seq != 4 || r.CmdID != 1003 {
		t.Fatalf("over the rate: %+v, want 429 echoing seq 4", r)
	}
	hb(calm, 1)
	if r := calm.Read(); r.Code != 200 {
		t.Fatalf("another client: %+v", r)
	}
	code := uint16(0)
	for seq := 5; seq < 100 && code == 0; seq++ {
		hb(flood, seq)
		r, err := flood.TryRead()
		var ce testutil.CloseError
		switch {
		case err == nil && r.Code != 429 && r.Code != 200:
			t.Fatalf("got %+v", r)
		case err != nil && !errors.As(err, &ce):
			t.Fatalf("read: %v", err)
		case err != nil:
			code = ce.Code
		}
	}
	if code != closeRateLimited {
		t.Fatalf("close %d, want 4029", code)
	}
	testutil.Eventually(t, testWait, wantMetric(t, base, "imgate_close_codes_total", 1, "code", "4029"))
	if v, _ := metricValue(scrape(t, base), "imgate_messages_rate_limited_total"); v < 1 {
		t.Fatalf("messages_rate_limited_total %v", v)
	}
	hb(calm, 2)
	if r := calm.Read(); r.Code != 200 {
		t.Fatalf("another client after the close: %+v", r)
	}
}

func TestMsgBucket(t *testing.T) {
	r := newMsgRate(MessageRate{PerSecond: 10, Burst: 2})
	var b msgBucket
	now := int64(time.Hour)
	for i, want := range []rateVerdict{rateOK, rateOK, rateLimited, rateLimited, rateClose} {
		if got := b.take(&r, now); got != want {
			t.Fatalf("message %d: %v, want %v", i, got, want)
		}
	}
	// Backing off pays the debt: after 0.6s (6 tokens) the client is
	// served again.
	if got := b.take(&r, now+int64(600*time.Millisecond)); got != rateOK {
		t.Fatalf("after backing off: %v", got)
	}
	if newMsgRate(MessageRate{}).perNano != 0 {
		t.Fatal("zero rate must mean no limit")
	}
}
