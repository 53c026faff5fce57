// Package storetest checks that an auth.RefreshStore keeps the contract the
// auth.Manager relies on: create-once, versioned compare-and-swap updates,
// the user index, revoked listing and pruning. Every store runs it from its
// own tests:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) auth.RefreshStore { return openMyStore(t) })
//	}
//
// open must return an empty store and arrange for it to be closed when the
// test ends.
package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/internal/testutil"
)

// Run runs every check, each on a fresh store from open.
func Run(t *testing.T, open func(t *testing.T) auth.RefreshStore) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, auth.RefreshStore)
	}{
		{name: "create and get", fn: testCreateGet},
		{name: "compare and swap", fn: testUpdate},
		{name: "by user", fn: testByUser},
		{name: "revoked since", fn: testRevokedSince},
		{name: "prune", fn: testPrune},
		{name: "concurrent updates", fn: testConcurrentUpdates},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

var epoch = time.Unix(1_800_000_000, 0)

// Fam returns a family of user, expiring at exp, with hashes that differ
// per ID.
func Fam(id, user string, exp time.Time) *auth.Family {
	f := &auth.Family{ID: id, UserID: user, DeviceID: "dev-" + id, Created: epoch, Expires: exp, Gen: 3}
	copy(f.Current[:], id)
	for i := range f.Spent {
		f.Spent[i][0] = byte(i + 1)
	}
	return f
}

func testCreateGet(t *testing.T, s auth.RefreshStore) {
	f := Fam("f1", "alice", epoch.Add(time.Hour))
	if err := s.Create(f); err != nil {
		t.Fatal(err)
	}
	got, v, err := s.Get("f1")
	if err != nil || v == 0 {
		t.Fatalf("Get: %v, version %d", err, v)
	}
	checkEqual(t, &got, f)
	if err := s.Create(Fam("f1", "bob", epoch)); !errors.Is(err, auth.ErrFamilyExists) {
		t.Fatalf("second Create: %v, want ErrFamilyExists", err)
	}
	if _, _, err := s.Get("nope"); !errors.Is(err, auth.ErrFamilyNotFound) {
		t.Fatalf("Get unknown: %v", err)
	}
}

func testUpdate(t *testing.T, s auth.RefreshStore) {
	f := Fam("f1", "alice", epoch.Add(time.Hour))
	if err := s.Create(f); err != nil {
		t.Fatal(err)
	}
	_, v1, _ := s.Get("f1")
	f.Gen, f.Revoked = 4, epoch.Add(time.Minute)
	if err := s.Update(f, v1); err != nil {
		t.Fatalf("Update: %v", err)
	}
	got, v2, err := s.Get("f1")
	if err != nil || v2 == v1 {
		t.Fatalf("after Update: %v, version %d (was %d)", err, v2, v1)
	}
	checkEqual(t, &got, f)
	f.Gen = 5
	if err := s.Update(f, v1); !errors.Is(err, auth.ErrConflict) {
		t.Fatalf("stale Update: %v, want ErrConflict", err)
	}
	if err := s.Update(Fam("nope", "alice", epoch), v2); !errors.Is(err, auth.ErrFamilyNotFound) {
		t.Fatalf("Update unknown: %v", err)
	}
}

func testByUser(t *testing.T, s auth.RefreshStore) {
	for _, f := range []*auth.Family{Fam("a1", "al", epoch), Fam("a2", "alice", epoch), Fam("a3", "alice", epoch), Fam("b1", "bob", epoch)} {
		if err := s.Create(f); err != nil {
			t.Fatal(err)
		}
	}
	for user, want := range map[string][]string{"alice": {"a2", "a3"}, "al": {"a1"}, "bob": {"b1"}, "nobody": nil} {
		got, err := s.ByUser(user)
		slices.Sort(got)
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("ByUser(%s) = %v, %v; want %v", user, got, err, want)
		}
	}
}

func testRevokedSince(t *testing.T, s auth.RefreshStore) {
	for i, at := range []time.Duration{0, time.Minute, 2 * time.Minute, -1} {
		f := Fam(fmt.Sprint("f", i), "alice", epoch.Add(time.Hour))
		if at >= 0 {
			f.Revoked = epoch.Add(at)
		}
		if err := s.Create(f); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.RevokedSince(epoch.Add(time.Minute))
	var ids []string
	for _, f := range got {
		ids = append(ids, f.ID)
	}
	slices.Sort(ids)
	if err != nil || !slices.Equal(ids, []string{"f1", "f2"}) {
		t.Fatalf("RevokedSince = %v, %v", ids, err)
	}
}

func testPrune(t *testing.T, s auth.RefreshStore) {
	for i := range 5 {
		if err := s.Create(Fam(fmt.Sprint("f", i), "alice", epoch.Add(time.Duration(i)*time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.Prune(epoch.Add(2*time.Hour + time.Second))
	if err != nil || n != 3 {
		t.Fatalf("Prune = %d, %v; want 3", n, err)
	}
	ids, _ := s.ByUser("alice")
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"f3", "f4"}) {
		t.Fatalf("index after Prune: %v", ids)
	}
	if _, _, err := s.Get("f0"); !errors.Is(err, auth.ErrFamilyNotFound) {
		t.Fatalf("pruned family: %v", err)
	}
	if n, err := s.Prune(epoch); err != nil || n != 0 {
		t.Fatalf("second Prune = %d, %v", n, err)
	}
}

// Compare-and-swap from many goroutines: every increment lands exactly once.
func testConcurrentUpdates(t *testing.T, s auth.RefreshStore) {
	if err := s.Create(Fam("f", "alice", epoch.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 10
	testutil.Parallel(t, workers, func(int) error {
		for done := 0; done < each; {
			f, v, err := s.Get("f")
			if err != nil {
				return err
			}
			f.Gen++
			switch err := s.Update(&f, v); {
			case err == nil:
				done++
			case !errors.Is(err, auth.ErrConflict):
				return err
			}
		}
		return nil
	})
	if f, _, _ := s.Get("f"); f.Gen != 3+workers*each {
		t.Fatalf("Gen = %d, want %d", f.Gen, 3+workers*each)
	}
}

func checkEqual(t *testing.T, got, want *auth.Family) {
	t.Helper()
	if got.ID != want.ID || got.UserID != want.UserID || got.DeviceID != want.DeviceID ||
		!got.Created.Equal(want.Created) || !got.Expires.Equal(want.Expires) || !got.Revoked.Equal(want.Revoked) ||
		got.Gen != want.Gen || got.Current != want.Current || got.Spent != want.Spent {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}
