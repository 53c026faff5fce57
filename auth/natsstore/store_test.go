package natsstore

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/auth/storetest"
)

// jetStreamServer starts an embedded NATS server with JetStream and
// returns a connection to it.
func jetStreamServer(t *testing.T) *nats.Conn {
	t.Helper()
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true,
		JetStream: true, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(20 * time.Second) {
		t.Fatal("nats server not ready")
	}
	t.Cleanup(func() {
		srv.Shutdown()
		srv.WaitForShutdown()
	})
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func TestContract(t *testing.T) {
	nc := jetStreamServer(t)
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
	nc := jetStreamServer(t)
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
	nc := jetStreamServer(t)
	first, err := Open(context.Background(), nc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	storetest.ReusePersists(t, first, func(t *testing.T) auth.RefreshStore {
		nc2, err := nats.Connect(nc.ConnectedUrl())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc2.Close)
		second, err := Open(context.Background(), nc2, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return second
	})
}
