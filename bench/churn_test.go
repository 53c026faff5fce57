package bench_test

import (
	"context"
	"testing"
	"time"

	"github.com/imgate/gateway/bench"
	"github.com/imgate/gateway/bench/benchtest"
	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/inbox"
)

// TestChatChurn: with the inbox on, users that keep reconnecting and
// resuming lose nothing acknowledged, see nothing twice and nothing out of
// order; with it off, the same run loses messages, and the report says so.
func TestChatChurn(t *testing.T) {
	for _, tc := range []struct {
		name     string
		inbox    bool
		wantLost bool
	}{
		{name: "inbox", inbox: true},
		{name: "no inbox", wantLost: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var o benchtest.GatewayOptions
			if tc.inbox {
				s := inbox.NewMemory(inbox.Limits{})
				t.Cleanup(func() { _ = s.Close() })
				o.Inbox = s
			}
			srv := benchtest.StartGateway(t, o)
			cfg := gatewayConfig(srv.URL, 20)
			cfg.Duration, cfg.Inflight, cfg.Churn, cfg.DeviceID = 2*time.Second, 2, 2, "bench"
			if tc.wantLost {
				cfg.Timeout = 2 * time.Second // the end waits this long for what never comes
			}
			rep, err := bench.Chat(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			c := rep.Chat
			if c == nil || c.Churn == nil || c.Acked == 0 || c.Churn.Reconnects == 0 || c.Churn.ReconnectErrors != 0 {
				t.Fatalf("chat %+v churn %+v", c, c.Churn)
			}
			ch := c.Churn
			t.Logf("acked %d delivered %d; churn %+v", c.Acked, c.Delivered, *ch)
			if tc.wantLost {
				if ch.AckedLost == 0 {
					t.Fatal("no acknowledged message lost without the inbox: the churn accounting sees nothing")
				}
				return
			}
			if ch.AckedLost != 0 || ch.OutOfOrder != 0 || c.Duplicates != 0 || ch.SyncLost != 0 {
				t.Fatalf("acked and lost %d, out of order %d, duplicates %d, resumes lost %d",
					ch.AckedLost, ch.OutOfOrder, c.Duplicates, ch.SyncLost)
			}
		})
	}
}

// TestChatChurnServerDrops: the server closes every connection in the
// middle of a churn run (as a killed node does); the users reconnect at
// their next send and resume, instead of waiting for a churn turn that
// comes after the run's end, so nothing acknowledged counts as lost.
func TestChatChurnServerDrops(t *testing.T) {
	s := inbox.NewMemory(inbox.Limits{})
	t.Cleanup(func() { _ = s.Close() })
	srv := benchtest.StartGateway(t, benchtest.GatewayOptions{Inbox: s})
	cfg := gatewayConfig(srv.URL, 20)
	// A churn turn every 1,000 s on average: no user reconnects by choice.
	cfg.Duration, cfg.MsgRate, cfg.Churn, cfg.DeviceID = 3*time.Second, 20, 0.001, "bench"
	cfg.Timeout = 3 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return
		}
		_ = srv.Engine.EachConn(ctx, func(c *engine.Conn) { c.Close(1001, "going away") })
	}()
	rep, err := bench.Chat(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Chat
	if c == nil || c.Churn == nil || c.Acked == 0 {
		t.Fatalf("chat %+v", c)
	}
	ch := c.Churn
	t.Logf("acked %d delivered %d; churn %+v", c.Acked, c.Delivered, *ch)
	if ch.Reconnects < int64(cfg.Conns) {
		t.Fatalf("%d reconnects after the server closed %d connections", ch.Reconnects, cfg.Conns)
	}
	if ch.AckedLost != 0 || ch.OutOfOrder != 0 || c.Duplicates != 0 {
		t.Fatalf("acked and lost %d, out of order %d, duplicates %d", ch.AckedLost, ch.OutOfOrder, c.Duplicates)
	}
}
