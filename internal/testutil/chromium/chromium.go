package chromium

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

// Browser is a headless Chromium and its DevTools connection.
type Browser struct {
	t  testing.TB
	c  *testutil.Client // the DevTools WebSocket
	id int
}

// Path finds Chromium: $CHROMIUM, else chromium, chromium-browser or
// google-chrome on PATH; it fails the test when there is none.
func Path(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("this test needs headless Chromium and found none: install it " +
		"(Debian: apt-get install chromium; make test does as root) or set CHROMIUM=/path/to/chrome")
	return ""
}

// Start starts Chromium with a fresh profile and a DevTools port it picks
// itself, and kills its whole process group when the test ends.
func Start(t testing.TB) *Browser {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(Path(t), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
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
	testutil.Eventually(t, 3*testutil.Wait, func() error {
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
	return &Browser{t: t, c: testutil.Dial(t, "ws://127.0.0.1:"+port+path, testutil.WithName("DevTools"))}
}

// Call sends one DevTools command (to a tab when session is set) and
// returns its result, skipping the events that arrive meanwhile.
func (b *Browser) Call(session, method string, params any) (json.RawMessage, error) {
	b.id++
	msg := map[string]any{"id": b.id, "method": method, "params": params}
	if session != "" {
		msg["sessionId"] = session
	}
	out, _ := json.Marshal(msg)
	if err := b.c.TrySend(ws.OpText, out); err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	for {
		data, err := b.c.TryReadMessage()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", method, err)
		}
		var r struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct{ Message string }
		}
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", method, err)
		}
		if r.ID != b.id {
			continue // an event
		}
		if r.Error != nil {
			return nil, fmt.Errorf("%s: %s", method, r.Error.Message)
		}
		return r.Result, nil
	}
}

// MustCall is Call failing the test on an error.
func (b *Browser) MustCall(session, method string, params any) json.RawMessage {
	b.t.Helper()
	res, err := b.Call(session, method, params)
	if err != nil {
		b.t.Fatal(err)
	}
	return res
}

// Open opens url in a new tab (with its own sessionStorage) and returns
// the tab's target id and DevTools session.
func (b *Browser) Open(url string) (target, session string) {
	b.t.Helper()
	var tg struct{ TargetID string }
	_ = json.Unmarshal(b.MustCall("", "Target.createTarget", map[string]any{"url": url}), &tg)
	var att struct{ SessionID string }
	_ = json.Unmarshal(b.MustCall("", "Target.attachToTarget", map[string]any{"targetId": tg.TargetID, "flatten": true}), &att)
	if att.SessionID == "" {
		b.t.Fatalf("open %s: no DevTools session for the tab", url)
	}
	return tg.TargetID, att.SessionID
}

// Eval evaluates a JavaScript expression in the tab (awaiting a promise)
// and decodes its value into v (nil: ignore it); an exception is an error.
func (b *Browser) Eval(session, expr string, v any) error {
	res, err := b.Call(session, "Runtime.evaluate", map[string]any{"expression": expr,
		"returnByValue": true, "awaitPromise": true})
	if err != nil {
		return err
	}
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string
			Exception struct{ Description string }
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return err
	}
	if r.ExceptionDetails != nil {
		return fmt.Errorf("eval %s: %s %s", expr, r.ExceptionDetails.Text, r.ExceptionDetails.Exception.Description)
	}
	if v == nil {
		return nil
	}
	if err := json.Unmarshal(r.Result.Value, v); err != nil {
		return fmt.Errorf("eval %s: value %s: %w", expr, r.Result.Value, err)
	}
	return nil
}

// Must is Eval failing the test on an error.
func (b *Browser) Must(session, expr string, v any) {
	b.t.Helper()
	if err := b.Eval(session, expr, v); err != nil {
		b.t.Fatal(err)
	}
}
