package main

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTokenFlags(t *testing.T) {
	t.Setenv("GATEWAY_ADMIN_KEY", "")
	for _, tc := range []struct {
		name   string
		args   []string
		env    string
		errHas string
		check  func(*testing.T, *options)
	}{
		{name: "defaults", check: func(t *testing.T, o *options) {
			if o.accessTTL.String() != "15m0s" || o.refreshTTL.String() != "720h0m0s" || o.jwtLeeway.String() != "30s" ||
				o.loginPolicy != "multi" || o.maxSessionsPerUser != 16 || o.adminKey != "" {
				t.Fatalf("%+v", o)
			}
		}},
		{name: "admin key from env", env: "0123456789abcdef-admin", check: func(t *testing.T, o *options) {
			if o.adminKey != "0123456789abcdef-admin" {
				t.Fatalf("admin key %q", o.adminKey)
			}
		}},
		{name: "bad policy", args: []string{"-login-policy", "solo"}, errHas: "-login-policy"},
		{name: "short admin key", args: []string{"-admin-key", "short"}, errHas: "-admin-key"},
		{name: "zero ttl", args: []string{"-access-ttl", "0s"}, errHas: "-access-ttl"},
		{name: "negative cap", args: []string{"-max-sessions-per-user", "-1"}, errHas: "-max-sessions-per-user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GATEWAY_ADMIN_KEY", tc.env)
			if o := parseOptions(t, tc.args, tc.errHas); o != nil {
				tc.check(t, o)
			}
		})
	}
}

// build with -jwt-keys and -data-dir: the store file is created, tokens
// carry the current kid, and a reload (SIGHUP) switches the current key.
func TestBuildKeysAndReload(t *testing.T) {
	dir := t.TempDir()
	keysPath := filepath.Join(dir, "keys.json")
	writeKeys := func(current string) {
		doc := map[string]any{"current": current, "keys": []map[string]string{
			{"kid": "k1", "alg": "HS256", "secret": strings.Repeat("1", 32)},
			{"kid": "k2", "alg": "HS256", "secret": strings.Repeat("2", 32)},
		}}
		b, _ := json.Marshal(doc)
		if err := os.WriteFile(keysPath, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeKeys("k1")
	var o options
	if err := o.parse([]string{"-data-dir", filepath.Join(dir, "data"), "-jwt-keys", keysPath, "-http-addr", "",
		"-addr", "127.0.0.1:0"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	a, err := build(&o, log)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	if _, err := os.Stat(filepath.Join(dir, "data", "refresh-tokens.db")); err != nil {
		t.Fatalf("store file: %v", err)
	}
	kid := func() string {
		tok, _, err := a.auth.IssueAccess("alice", "")
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
		var h map[string]any
		_ = json.Unmarshal(raw, &h)
		s, _ := h["kid"].(string)
		return s
	}
	if got := kid(); got != "k1" {
		t.Fatalf("kid %q, want k1", got)
	}
	writeKeys("k2")
	a.reloadKeys(log)
	if got := kid(); got != "k2" {
		t.Fatalf("after reload: kid %q, want k2", got)
	}
	writeKeys("nope") // a broken file keeps the keys in force
	a.reloadKeys(log)
	if got := kid(); got != "k2" {
		t.Fatalf("after a failed reload: kid %q, want k2", got)
	}
}
