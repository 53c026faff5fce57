package bench_test

import (
	"context"
	"testing"
	"time"

	"github.com/imgate/gateway/bench"
	"github.com/imgate/gateway/bench/benchtest"
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
