package boltstore

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/auth/storetest"
)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) auth.RefreshStore {
		return open(t, filepath.Join(t.TempDir(), FileName))
	})
}

// What was written is there after closing and opening the file again.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", FileName)
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := storetest.Fam("f1", "alice", time.Now().Add(time.Hour))
	if err := s.Create(f); err != nil {
		t.Fatal(err)
	}
	_, v, _ := s.Get("f1")
	f.Gen = 9
	if err := s.Update(f, v); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path)
	got, v2, err := s.Get("f1")
	if err != nil || got.Gen != 9 || got.UserID != "alice" || v2 == v {
		t.Fatalf("after reopen: %+v, version %d (was %d), %v", got, v2, v, err)
	}
	if ids, err := s.ByUser("alice"); err != nil || len(ids) != 1 {
		t.Fatalf("index after reopen: %v, %v", ids, err)
	}
}

// A second process (here: a second open) is refused while the file is in
// use, with an error that says so.
func TestLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	open(t, path)
	_, err := Open(path, Options{LockTimeout: 50 * time.Millisecond})
	if !errors.Is(err, auth.ErrStore) {
		t.Fatalf("second Open: %v, want ErrStore", err)
	}
}

// A reuse on one manager revokes the family in the file: after a restart
// (the file closed and opened again) its current refresh token is refused.
func TestReusePersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	first, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = first.Close() }) // when the test fails before the restart
	storetest.ReusePersists(t, first, func(t *testing.T) auth.RefreshStore {
		if err := first.Close(); err != nil {
			t.Fatal(err)
		}
		return open(t, path)
	})
}
