package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/imgate/gateway/internal/testutil"
)

// chromium is headless Chromium driven over the DevTools protocol (as
// gateway/chromium_helpers_test.go drives the dashboard; this package
// cannot import test files of another). Only the test goroutine uses it.
type chromium struct {
	t    testing.TB
	conn net.Conn
	rd   *bufio.Reader
	id   int
}

// startChromium starts Chromium ($CHROMIUM, else chromium on PATH) with
// a fresh profile; a missing browser fails the test. The process group is
// killed when the test ends.
func startChromium(t testing.TB) *chromium {
	t.Helper()
	bin := os.Getenv("CHROMIUM")
	if bin == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				bin = p
				break
			}
		}
	}
	if bin == "" {
		t.Fatal("the demo test needs headless Chromium: install it (Debian: apt-get install chromium) or set CHROMIUM")
	}
	dir := t.TempDir()
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--remote-debugging-port=0", "--user-data-dir="+dir, "about:blank")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	var port, path string
	testutil.Eventually(t, 3*testWait, func() error {
		b, err := os.ReadFile(filepath.Join(dir, "DevToolsActivePort"))
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if err != nil || len(lines) < 2 {
			return errors.New("no DevToolsActivePort yet")
		}
		port, path = lines[0], lines[1]
		return nil
	})
	conn, br, _, err := ws.Dialer{Timeout: testWait}.Dial(context.Background(), "ws://127.0.0.1:"+port+path)
	if err != nil {
		t.Fatalf("DevTools: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	if br == nil {
		br = bufio.NewReader(conn)
	}
	return &chromium{t: t, conn: conn, rd: br}
}

// call sends one DevTools command (to a tab when session is set) and
// returns its result, skipping events.
func (b *chromium) call(session, method string, params any) (json.RawMessage, error) {
	b.id++
	msg := map[string]any{"id": b.id, "method": method, "params": params}
	if session != "" {
		msg["sessionId"] = session
	}
	out, _ := json.Marshal(msg)
	_ = b.conn.SetDeadline(time.Now().Add(2 * testWait))
	if err := wsutil.WriteClientMessage(b.conn, ws.OpText, out); err != nil {
		return nil, err
	}
	for {
		data, err := wsutil.ReadServerText(struct {
			io.Reader
			io.Writer
		}{b.rd, b.conn})
		if err != nil {
			return nil, err
		}
		var r struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct{ Message string }
		}
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, err
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

// open opens url in a new tab (its own sessionStorage) and returns the
// tab's target id and DevTools session.
func (b *chromium) open(url string) (target, session string) {
	b.t.Helper()
	var tg struct{ TargetID string }
	res, err := b.call("", "Target.createTarget", map[string]any{"url": url})
	if err == nil {
		err = json.Unmarshal(res, &tg)
	}
	var att struct{ SessionID string }
	if err == nil {
		res, err = b.call("", "Target.attachToTarget", map[string]any{"targetId": tg.TargetID, "flatten": true})
	}
	if err == nil {
		err = json.Unmarshal(res, &att)
	}
	if err != nil || att.SessionID == "" {
		b.t.Fatalf("open %s: %v", url, err)
	}
	return tg.TargetID, att.SessionID
}

// eval evaluates a JavaScript expression (awaiting a promise) in the tab
// and decodes its value into v; an exception is an error.
func (b *chromium) eval(session, expr string, v any) error {
	res, err := b.call(session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true})
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
		return fmt.Errorf("%s: %s %s", expr, r.ExceptionDetails.Text, r.ExceptionDetails.Exception.Description)
	}
	if v == nil {
		return nil
	}
	return json.Unmarshal(r.Result.Value, v)
}

// must is eval that fails the test on an error.
func (b *chromium) must(session, expr string, v any) {
	b.t.Helper()
	if err := b.eval(session, expr, v); err != nil {
		b.t.Fatal(err)
	}
}
