package engine

import "testing"

// TestUpgradeResumeParams: "since" is a decimal offset and "epoch" a
// parameter like device_id (PROTOCOL.md §1, §8); anything else is a 400.
func TestUpgradeResumeParams(t *testing.T) {
	rec := newRecorder(false)
	srv := startServer(t, rec, testOptions())
	for _, tc := range []struct {
		name     string
		target   string
		status   int // 0: upgrade
		since    uint64
		hasSince bool
		epoch    string
	}{
		{name: "both", target: "/?since=42&epoch=ab12", since: 42, hasSince: true, epoch: "ab12"},
		{name: "since zero", target: "/?since=0", hasSince: true},
		{name: "none", target: "/?device_id=d"},
		{name: "largest", target: "/?since=18446744073709551615", since: 1<<64 - 1, hasSince: true},
		{name: "too large", target: "/?since=18446744073709551616", status: 400},
		{name: "negative", target: "/?since=-1", status: 400},
		{name: "empty since", target: "/?since=", status: 400},
		{name: "not a number", target: "/?since=4x", status: 400},
		{name: "bad epoch", target: "/?epoch=a%20b", status: 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, srv.Addr())
			c.send(c.request(tc.target))
			if tc.status != 0 {
				c.expectStatus(tc.status)
				return
			}
			c.expectUpgrade()
			_, req := rec.nextOpen(t)
			if req.Since != tc.since || req.HasSince != tc.hasSince || req.Epoch != tc.epoch {
				t.Fatalf("since %d (%v) epoch %q, want %d (%v) %q", req.Since, req.HasSince, req.Epoch, tc.since, tc.hasSince, tc.epoch)
			}
		})
	}
}
