package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/imgate/gateway/internal/testlog"
	"github.com/imgate/gateway/internal/testutil"
	"github.com/imgate/gateway/internal/testutil/authtest"
)

// Every line a gateway logs at debug level, in both formats, while tokens,
// passwords and refresh tokens pass through it every way they can, is
// free of them; the lifecycle lines are there. (testlog.Main checks every
// line of every gateway this package's tests start, too.)
func TestLogsCarryNoSecrets(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			p := startGateway(t, 0, "-users", usersFile(t), "-log-format", format)
			exerciseSecrets(t, p)
			if status := p.stop(syscall.SIGTERM); status != 0 {
				t.Fatalf("exit status %d", status)
			}
			log := p.logText()
			if leaks := testlog.Leaks([]byte(log)); len(leaks) > 0 {
				t.Fatalf("%d log lines carry a secret:\n%s", len(leaks), strings.Join(leaks, "\n"))
			}
			for _, want := range []string{"connection opened", "connection closed", "logged in", "login failed",
				"token refused", "gateway listening", "drained"} {
				if !strings.Contains(log, want) {
					t.Errorf("log lacks %q", want)
				}
			}
			t.Logf("%d lines checked", strings.Count(log, "\n"))
		})
	}
}

// exerciseSecrets sends tokens, passwords and refresh tokens to p every
// way the protocol allows, valid and not.
func exerciseSecrets(t *testing.T, p *proc) {
	t.Helper()
	tok := authtest.Mint(t, []byte(testSecret), "alice", 0)
	dialWS(t, p.ws, "?token="+tok+"&device_id=web001&platform=web")
	dialWS(t, p.ws, "", testutil.WithBearer(tok))
	dialWS(t, p.ws, "", testutil.WithBearerProtocol(tok))
	dialWS(t, p.ws, "?token="+authtest.Mint(t, []byte(testSecret), "alice", 2*time.Hour))
	dialWS(t, p.ws, "?token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged-signature-0000")

	c, _ := dialWS(t, p.ws, "")
	c.Send(map[string]any{"cmd_id": 1001, "seq": 1, "body": map[string]any{"username": "alice", "password": "wrong-alice-pw"}})
	testlog.Secret("wrong-alice-pw")
	if m, err := c.TryReadMap(); err != nil || m["code"] != float64(401) {
		t.Fatalf("bad login: %v %v", m, err)
	}
	c.Send(map[string]any{"cmd_id": 1001, "seq": 2, "body": map[string]any{"username": "alice", "password": "alice123"}})
	m, err := c.TryReadMap()
	if err != nil || m["code"] != float64(200) {
		t.Fatalf("login: %v %v", m, err)
	}
	refresh := m["body"].(map[string]any)["refresh_token"].(string)
	c.Send(map[string]any{"cmd_id": 1004, "seq": 3, "body": map[string]any{"refresh_token": refresh}})
	if m, err := c.TryReadMap(); err != nil || m["code"] != float64(200) {
		t.Fatalf("refresh: %v %v", m, err)
	}
	c.Send(map[string]any{"cmd_id": 1004, "seq": 4, "body": map[string]any{"refresh_token": "not-a-refresh-token-123"}})
	testlog.Secret("not-a-refresh-token-123")
	c.TryReadMap()
	c.Send(map[string]any{"cmd_id": 2001, "seq": 5, "body": map[string]any{"to_uid": "bob", "content": tok}})
	c.TryReadMap()

	body := postJSON(t, p.http+"/api/login", `{"username":"bob","password":"bob123"}`)
	var login struct {
		Body struct {
			RefreshToken string `json:"refresh_token"`
		} `json:"body"`
	}
	_ = json.Unmarshal(body, &login)
	postJSON(t, p.http+"/api/refresh-token", `{"refresh_token":"`+login.Body.RefreshToken+`"}`)
	postJSON(t, p.http+"/api/refresh-token", `{"refresh_token":"garbage-refresh-token-xyz"}`)
	testlog.Secret("garbage-refresh-token-xyz")
}

// postJSON posts body and returns the response body, registering the
// tokens it carries as secrets.
func postJSON(t *testing.T, url, body string) []byte {
	t.Helper()
	c := http.Client{Timeout: testWait}
	resp, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var r testutil.Reply
	if json.Unmarshal(b, &r) == nil {
		testutil.RegisterTokens(r.Body)
	}
	return bytes.TrimSpace(b)
}

// usersFile writes alice and bob (the demo passwords) as an htpasswd file
// at bcrypt's lowest cost: the demo's cost takes seconds under -race.
func usersFile(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, up := range [][2]string{{"alice", "alice123"}, {"bob", "bob123"}} {
		hash, err := bcrypt.GenerateFromPassword([]byte(up[1]), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(up[0] + ":" + string(hash) + "\n")
	}
	path := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
