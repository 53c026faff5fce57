package gateway

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/imgate/gateway/internal/testutil"
	"github.com/imgate/gateway/internal/testutil/chromium"
)

// The dashboard in headless Chromium: it loads from the gateway alone, it
// polls /api/stats, and its numbers and charts change when clients
// connect and send.
func TestDashboardInChromium(t *testing.T) {
	st := startStack(t, defaultStackOptions())
	base := st.serveAPI(t)
	if status, body := testutil.Get(t, base+"/dashboard"); status != http.StatusOK || !strings.Contains(body, "<svg") {
		t.Fatalf("/dashboard: %d", status)
	}
	b := chromium.Start(t)
	_, tab := b.Open(base + "/dashboard")
	samples := func(atLeast int) func() error {
		return func() error {
			var n int
			b.Must(tab, "window.dashboard ? window.dashboard.samples : 0", &n)
			if n < atLeast {
				return fmt.Errorf("%d samples, want %d", n, atLeast)
			}
			return nil
		}
	}
	text := func(id string) string {
		var s string
		b.Must(tab, fmt.Sprintf("document.getElementById(%q).textContent", id), &s)
		return s
	}
	testutil.Eventually(t, 6*testWait, samples(2))
	if got := text("v-conns"); got != "0" {
		t.Fatalf("connections shown %q before any client, want 0", got)
	}
	if got := text("status"); got != "live" {
		t.Fatalf("status %q, want live", got)
	}
	// Three clients connect and talk: the page shows them within a few
	// polls, and the charts get lines.
	alice := st.connectAs(t, "alice", "a1")
	bob := st.connectAs(t, "bob", "b1")
	st.connectAs(t, "carol", "c1")
	for seq := 1; seq <= 5; seq++ {
		alice.Send(map[string]any{"cmd_id": 2001, "seq": seq, "body": map[string]any{"to_uid": "bob", "content": "hi"}})
		alice.Read()
		bob.Read()
	}
	testutil.Eventually(t, 6*testWait, func() error {
		if got := text("v-conns"); got != "3" {
			return fmt.Errorf("connections shown %q, want 3", got)
		}
		return nil
	})
	var seen struct {
		MessagesIn int64 `json:"messages_in"`
		Upgrades   int64 `json:"upgrades"`
		Points     int   `json:"points"`
		Foreign    []string
	}
	testutil.Eventually(t, 6*testWait, func() error {
		b.Must(tab, `({messages_in: dashboard.last.messages_in, upgrades: dashboard.last.upgrades,
			points: document.querySelector('#c-conns polyline').getAttribute('points').split(' ').length,
			Foreign: performance.getEntriesByType('resource').map(e => e.name)
				.filter(u => !u.startsWith(location.origin + '/'))})`, &seen)
		if seen.MessagesIn < 5 || seen.Upgrades < 3 {
			return fmt.Errorf("page saw %+v", seen)
		}
		return nil
	})
	if seen.Points < 2 {
		t.Errorf("connections chart has %d points", seen.Points)
	}
	if len(seen.Foreign) > 0 {
		t.Errorf("the page loaded resources from elsewhere: %v", seen.Foreign)
	}
	for _, id := range []string{"v-hs", "v-msgs", "v-lat", "v-mem"} {
		if v := text(id); v == "" || v == "–" {
			t.Errorf("%s shows %q", id, v)
		}
	}
	if path := os.Getenv("IMGATE_DASHBOARD_PNG"); path != "" {
		var shot struct{ Data string }
		_ = json.Unmarshal(b.MustCall(tab, "Page.captureScreenshot", map[string]any{"format": "png"}), &shot)
		png, _ := base64.StdEncoding.DecodeString(shot.Data)
		_ = os.WriteFile(path, png, 0o644)
	}
}
