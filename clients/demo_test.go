package clients

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The handler serves the page, every SDK module the page imports (and
// the modules they import), the listener ports, and nothing else.
func TestDemoHandler(t *testing.T) {
	ws := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4321}
	srv := httptest.NewServer(DemoHandler(func() (net.Addr, net.Addr) { return ws, nil }))
	t.Cleanup(srv.Close)
	get := func(path string) (int, string, http.Header) {
		t.Helper()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b), res.Header
	}
	status, page, h := get("/demo/")
	if status != 200 || !strings.Contains(page, "from './sdk/index.js'") || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("/demo/: %d %q", status, h.Get("Content-Type"))
	}
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Error("the page refers to another site")
	}
	// Every module reachable from index.js is served as JavaScript.
	seen := map[string]bool{}
	queue := []string{"index.js"}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		status, src, h := get("/demo/sdk/" + name)
		if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/javascript") {
			t.Fatalf("/demo/sdk/%s: %d %q", name, status, h.Get("Content-Type"))
		}
		for _, line := range strings.Split(src, "\n") {
			if i := strings.Index(line, "from './"); i >= 0 && (strings.HasPrefix(line, "import") || strings.HasPrefix(line, "export")) {
				queue = append(queue, strings.TrimSuffix(line[i+len("from './"):], "';"))
			}
		}
	}
	if len(seen) < 8 {
		t.Errorf("only %d modules reachable from index.js", len(seen))
	}
	status, cfg, _ := get("/demo/config.json")
	var c struct{ WSPort, WSSPort int }
	if err := json.Unmarshal([]byte(strings.NewReplacer("ws_port", "WSPort", "wss_port", "WSSPort").Replace(cfg)), &c); err != nil || status != 200 || c.WSPort != 4321 || c.WSSPort != 0 {
		t.Errorf("/demo/config.json: %d %s", status, cfg)
	}
	for _, p := range []string{"/demo/sdk/../demo.go", "/demo/sdk/nope.js", "/demo/index.html.bak", "/demo/sdk/index.d.ts"} {
		if status, _, _ := get(p); status != 404 {
			t.Errorf("%s: %d, want 404", p, status)
		}
	}
}
