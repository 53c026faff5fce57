package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imgate/gateway/auth"
)

func TestOptionsParse(t *testing.T) {
	t.Setenv("GATEWAY_JWT_SECRET", "from-env-0123456789abcdef0123456789")
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
		check   func(*testing.T, *options)
	}{
		{name: "defaults", check: func(t *testing.T, o *options) {
			if o.addr != ":8080" || o.httpAddr != ":8081" || o.shards != 64 || o.dataDir != "./data" {
				t.Errorf("defaults: %+v", o)
			}
			if o.jwtSecret != "from-env-0123456789abcdef0123456789" {
				t.Error("GATEWAY_JWT_SECRET not used")
			}
		}},
		{name: "flag wins over env", args: []string{"-jwt-secret", "flag-0123456789abcdef0123456789abcd"},
			check: func(t *testing.T, o *options) {
				if !strings.HasPrefix(o.jwtSecret, "flag-") {
					t.Error("flag did not win")
				}
			}},
		{name: "shards not a power of two", args: []string{"-shards", "48"}, wantErr: "power of two"},
		{name: "bad log format", args: []string{"-log-format", "xml"}, wantErr: "text or json"},
		{name: "unknown flag", args: []string{"-nope"}, wantErr: "not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if o := parseOptions(t, tc.args, tc.wantErr); o != nil {
				tc.check(t, o)
			}
		})
	}
}

// parseOptions parses args. With wantErr it checks that parsing fails
// with an error containing wantErr and returns nil; without, it fails the
// test on any error and returns the options.
func parseOptions(t *testing.T, args []string, wantErr string) *options {
	t.Helper()
	var o options
	err := o.parse(args, io.Discard)
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("err %v, want %q", err, wantErr)
		}
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return &o
}

func TestLoadSecret(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	if _, err := loadSecret(&options{jwtSecret: "short"}, quiet); err == nil {
		t.Error("a short -jwt-secret was accepted")
	}
	dir := t.TempDir()
	first, err := loadSecret(&options{dataDir: dir}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, auth.SecretFileName))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("generated secret file: %v, mode %v", err, st.Mode())
	}
	again, err := loadSecret(&options{dataDir: dir}, quiet)
	if err != nil || string(again) != string(first) {
		t.Fatalf("second start got another secret (%v)", err)
	}
}

// TestTokenSubcommand: `gateway token` signs with the secret the gateway
// would use, so the printed token verifies.
func TestTokenSubcommand(t *testing.T) {
	dir := t.TempDir()
	out := captureStdout(t, func() {
		if code := cmdToken([]string{"-sub", "alice", "-did", "phone1", "-data-dir", dir}); code != 0 {
			t.Fatalf("exit %d", code)
		}
	})
	secret, err := loadSecret(&options{dataDir: dir}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	am, err := auth.New(auth.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	defer am.Close()
	claims, err := am.Verify(strings.TrimSpace(out))
	if err != nil || claims.UserID != "alice" || claims.DeviceID != "phone1" {
		t.Fatalf("claims %+v, err %v", claims, err)
	}
	if code := cmdToken([]string{"-data-dir", dir}); code != 2 {
		t.Errorf("missing -sub: exit %d, want 2", code)
	}
}

func captureStdout(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	defer func() { os.Stdout = old }()
	fn()
	w.Close()
	b, _ := io.ReadAll(r)
	return string(b)
}
