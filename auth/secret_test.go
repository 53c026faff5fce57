package auth

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestLoadOrCreateSecret(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "gw")
	secret, path, created, err := LoadOrCreateSecret(dir)
	if err != nil || !created {
		t.Fatalf("first call: created=%v err=%v", created, err)
	}
	if path != filepath.Join(dir, SecretFileName) || len(secret) != 64 {
		t.Fatalf("path %q, %d-byte secret", path, len(secret))
	}
	checkMode(t, dir, 0o700)
	checkMode(t, path, 0o600)
	again, path2, created2, err := LoadOrCreateSecret(dir)
	if err != nil || created2 || path2 != path || !bytes.Equal(again, secret) {
		t.Fatalf("second call: created=%v err=%v same=%v", created2, err, bytes.Equal(again, secret))
	}
	if m, err := New(Config{Secret: secret}); err != nil {
		t.Fatalf("New with the secret: %v", err)
	} else {
		m.Close()
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".jwt-secret-*"))
	if len(leftovers) != 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}
}

func TestLoadOrCreateSecretRefuses(t *testing.T) {
	good := strings.Repeat("k", 40) + "\n"
	for _, tc := range []struct {
		name    string
		content string
		mode    os.FileMode
	}{
		{name: "group readable", content: good, mode: 0o640},
		{name: "world readable", content: good, mode: 0o604},
		{name: "group writable", content: good, mode: 0o620},
		{name: "too short", content: "k3y-x9\n", mode: 0o600},
		{name: "whitespace only", content: strings.Repeat(" \n", 40), mode: 0o600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, SecretFileName)
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			_, _, _, err := LoadOrCreateSecret(dir)
			if !errors.Is(err, ErrSecret) {
				t.Fatalf("err = %v, want ErrSecret", err)
			}
			if strings.Contains(err.Error(), strings.TrimSpace(tc.content)) && strings.TrimSpace(tc.content) != "" {
				t.Fatalf("err = %v contains the secret", err)
			}
		})
	}
}

func TestLoadOrCreateSecretExistingReused(t *testing.T) {
	dir := t.TempDir()
	want := strings.Repeat("s", 48)
	if err := os.WriteFile(filepath.Join(dir, SecretFileName), []byte("\n  "+want+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, _, created, err := LoadOrCreateSecret(dir)
	if err != nil || created || string(got) != want {
		t.Fatalf("got %q created=%v err=%v", got, created, err)
	}
}

func TestLoadOrCreateSecretConcurrent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	const n = 8
	secrets := make([][]byte, n)
	createdBy := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var err error
			secrets[i], _, createdBy[i], err = LoadOrCreateSecret(dir)
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	creators := 0
	for i := range n {
		if createdBy[i] {
			creators++
		}
		if !bytes.Equal(secrets[i], secrets[0]) {
			t.Fatalf("caller %d got a different secret", i)
		}
	}
	if creators != 1 {
		t.Fatalf("%d callers created the file, want 1", creators)
	}
}

func TestLoadOrCreateSecretEmptyDir(t *testing.T) {
	if _, _, _, err := LoadOrCreateSecret(""); !errors.Is(err, ErrSecret) {
		t.Fatalf("err = %v", err)
	}
}

func TestReadSecretFile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content string
		want          string // "" = error
	}{
		{name: "trimmed", content: "\t" + strings.Repeat("a", 32) + " \n", want: strings.Repeat("a", 32)},
		{name: "31 bytes", content: strings.Repeat("a", 31) + "\n"},
		{name: "too big", content: strings.Repeat("a", maxSecretFile+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ReadSecretFile(path)
			if tc.want == "" {
				if !errors.Is(err, ErrSecret) {
					t.Fatalf("err = %v, want ErrSecret", err)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
	if _, err := ReadSecretFile(filepath.Join(dir, "absent")); !errors.Is(err, ErrSecret) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Fatalf("%s: mode %04o, want %04o", path, got, want)
	}
}
