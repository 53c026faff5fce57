package natsstore

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/auth/storetest"
	"github.com/imgate/gateway/internal/testutil/natstest"
)

func TestContract(t *testing.T) {
	nc := natstest.StartJetStream(t).Connect(t)
	var n atomic.Int64
	storetest.Run(t, func(t *testing.T) auth.RefreshStore {
		s, err := Open(context.Background(), nc, Options{Bucket: "t" + strconv.FormatInt(n.Add(1), 10)})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// Two stores on the same bucket (two nodes) see each other's families,
// and a second Open of an existing bucket binds to it.
func TestSharedBucket(t *testing.T) {
	nc := natstest.StartJetStream(t).Connect(t)
	a, err := Open(context.Background(), nc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(context.Background(), nc, Options{Replicas: 1, Memory: true}) // config differs: binds
	if err != nil {
		t.Fatal(err)
	}
	f := storetest.Fam("fam-1", "alice@example.com", time.Now().Add(time.Hour))
	if err := a.Create(f); err != nil {
		t.Fatal(err)
	}
	got, v, err := b.Get("fam-1")
	if err != nil || got.UserID != "alice@example.com" {
		t.Fatalf("Get on b: %+v %v", got, err)
	}
	if err := b.Update(&got, v); err != nil {
		t.Fatal(err)
	}
	if err := a.Update(f, v); err != auth.ErrConflict {
		t.Fatalf("stale Update on a: %v", err)
	}
	if ids, err := b.ByUser("alice@example.com"); err != nil || len(ids) != 1 || ids[0] != "fam-1" {
		t.Fatalf("ByUser: %v %v", ids, err)
	}
	if _, _, err := a.Get("bad.id"); err != auth.ErrFamilyNotFound {
		t.Fatalf("Get of an id that is not a key: %v", err)
	}
}

// A reuse on one node revokes the family in the bucket: a second node (its
// own connection and store on the same bucket) refuses the family's current
// refresh token.
func TestReusePersists(t *testing.T) {
	ns := natstest.StartJetStream(t)
	first, err := Open(context.Background(), ns.Connect(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	storetest.ReusePersists(t, first, func(t *testing.T) auth.RefreshStore {
		second, err := Open(context.Background(), ns.Connect(t), Options{})
		if err != nil {
			t.Fatal(err)
		}
		return second
	})
}
