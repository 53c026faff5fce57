package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/imgate/gateway/internal/testutil"
)

func TestIdleMemoryPingsAndStats(t *testing.T) {
	srv := (&testServer{secret: testSecret, pingFirst: true}).start(t)
	stats := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `{"conns":%d,"build":"test","shards":{"0":{"conns":%d}}}`, srv.live.Load(), srv.live.Load())
	}))
	t.Cleanup(stats.Close)

	cfg := testConfig(srv.url, 30)
	cfg.Duration = 50 * time.Millisecond
	cfg.ServerPIDs = []int{os.Getpid()} // the test server lives in this process
	cfg.StatsURL = stats.URL
	rep, err := Idle(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Connected != 30 || len(rep.Errors) != 0 || len(rep.Drops) != 0 {
		t.Fatalf("connected %d errors %v drops %v", rep.Connected, rep.Errors, rep.Drops)
	}
	if rep.Pings != 30 {
		t.Errorf("pings answered %d, want 30", rep.Pings)
	}
	testutil.Eventually(t, 10*time.Second, func() error {
		if n := srv.pongs.Load(); n != 30 {
			return fmt.Errorf("server saw %d pongs, want 30", n)
		}
		return nil
	})
	m := rep.Memory
	if m == nil || m.ServerBefore == 0 || m.ServerAfter == 0 || m.ServerEnd == 0 || m.ClientAfter == 0 {
		t.Fatalf("memory %+v", m)
	}
	if rep.Stats == nil || rep.Stats.Error != "" {
		t.Fatalf("stats %+v", rep.Stats)
	}
	want := map[string]StatDelta{
		"conns":          {Key: "conns", Before: 0, After: 30, PerConn: 1},
		"shards.0.conns": {Key: "shards.0.conns", Before: 0, After: 30, PerConn: 1},
	}
	if len(rep.Stats.Deltas) != len(want) {
		t.Fatalf("deltas %+v", rep.Stats.Deltas)
	}
	for _, d := range rep.Stats.Deltas {
		if want[d.Key] != d {
			t.Errorf("delta %+v, want %+v", d, want[d.Key])
		}
	}
}

func TestIdleCountsDrops(t *testing.T) {
	srv := (&testServer{closeAfter: true}).start(t)
	cfg := mustDefaults(t, Config{Targets: []string{srv.url}, Conns: 8, Auth: AuthNone})
	r := newRunner("idle", cfg, true)
	r.connectAll(context.Background(), r.idleBody)
	testutil.Eventually(t, 10*time.Second, func() error {
		if n := r.drops.total(); n != 8 {
			return fmt.Errorf("%d drops, want 8", n)
		}
		return nil
	})
	r.closeAll()
	rep := r.report()
	if rep.Connected != 8 || rep.Drops["close 1001"] != 8 {
		t.Fatalf("connected %d drops %v", rep.Connected, rep.Drops)
	}
}

func TestIdleStatsUnreachable(t *testing.T) {
	srv := (&testServer{secret: testSecret}).start(t)
	stats := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(stats.Close)
	cfg := testConfig(srv.url, 2)
	cfg.Duration = time.Millisecond
	cfg.StatsURL = stats.URL
	rep, err := Idle(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Stats == nil || rep.Stats.Error == "" || len(rep.Stats.Deltas) != 0 {
		t.Fatalf("stats %+v", rep.Stats)
	}
}
