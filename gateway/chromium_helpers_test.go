package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/gobwas/ws"

	"github.com/imgate/gateway/internal/testutil"
)

// chromiumPath finds headless Chromium: $CHROMIUM, else chromium,
// chromium-browser or google-chrome on PATH. A missing browser fails the
// test: the dashboard check is part of the suite, not optional.
func chromiumPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("the dashboard test needs headless Chromium and found none: install it " +
		"(Debian: apt-get install chromium; .ci/run does) or set CHROMIUM=/path/to/chrome")
	return ""
}

// browser is headless Chromium driven over the DevTools protocol.
type browser struct {
	t  testing.TB
	c  *testutil.Client // the DevTools WebSocket
	id int
}

// startBrowser starts Chromium with a fresh profile and a DevTools port
// it picks itself, and stops its whole process group when the test ends.
func startBrowser(t testing.TB) *browser {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(chromiumPath(t), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--remote-debugging-port=0", "--user-data-dir="+dir, "about:blank")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	logf, err := os.Create(filepath.Join(dir, "chromium.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		_ = logf.Close()
	})
	var port, path string
	testutil.Eventually(t, 6*testWait, func() error {
		b, err := os.ReadFile(filepath.Join(dir, "DevToolsActivePort"))
		if err != nil {
			return fmt.Errorf("chromium has not written DevToolsActivePort: %w", err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) < 2 {
			return errors.New("DevToolsActivePort incomplete")
		}
		port, path = lines[0], lines[1]
		return nil
	})
	if _, err := strconv.Atoi(port); err != nil {
		t.Fatalf("DevToolsActivePort: %q", port)
	}
	return &browser{t: t, c: testutil.Dial(t, "ws://127.0.0.1:"+port+path, testutil.WithName("DevTools"))}
}

// call sends one DevTools command (to a page when session is set) and
// returns its result, skipping events.
func (b *browser) call(session, method string, params any) json.RawMessage {
	b.t.Helper()
	b.id++
	msg := map[string]any{"id": b.id, "method": method, "params": params}
	if session != "" {
		msg["sessionId"] = session
	}
	out, _ := json.Marshal(msg)
	if err := b.c.TrySend(ws.OpText, out); err != nil {
		b.t.Fatalf("%s: %v", method, err)
	}
	for {
		data, err := b.c.TryReadMessage()
		if err != nil {
			b.t.Fatalf("%s: %v", method, err)
		}
		var r struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct{ Message string }
		}
		if err := json.Unmarshal(data, &r); err != nil {
			b.t.Fatalf("%s: %v", method, err)
		}
		if r.ID != b.id {
			continue // an event
		}
		if r.Error != nil {
			b.t.Fatalf("%s: %s", method, r.Error.Message)
		}
		return r.Result
	}
}

// open opens url in a new tab and returns the tab's session.
func (b *browser) open(url string) string {
	b.t.Helper()
	var target struct{ TargetID string }
	_ = json.Unmarshal(b.call("", "Target.createTarget", map[string]any{"url": url}), &target)
	var att struct{ SessionID string }
	_ = json.Unmarshal(b.call("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}), &att)
	if att.SessionID == "" {
		b.t.Fatal("no DevTools session for the tab")
	}
	return att.SessionID
}

// eval evaluates a JavaScript expression in the tab and decodes its value
// into v.
func (b *browser) eval(session, expr string, v any) {
	b.t.Helper()
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct{ Text string } `json:"exceptionDetails"`
	}
	_ = json.Unmarshal(b.call(session, "Runtime.evaluate", map[string]any{"expression": expr,
		"returnByValue": true, "awaitPromise": true}), &r)
	if r.ExceptionDetails != nil {
		b.t.Fatalf("eval %s: %s", expr, r.ExceptionDetails.Text)
	}
	if err := json.Unmarshal(r.Result.Value, v); err != nil {
		b.t.Fatalf("eval %s: value %s: %v", expr, r.Result.Value, err)
	}
}
