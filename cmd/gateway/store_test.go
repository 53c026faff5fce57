package main

import (
	"io"
	"log/slog"
	"testing"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/auth/boltstore"
	"github.com/imgate/gateway/auth/natsstore"
	"github.com/imgate/gateway/internal/testutil/natstest"
)

func TestRefreshStoreFlag(t *testing.T) {
	for _, tc := range []struct {
		name, kind, nats, dir, want string
		errors                      bool
	}{
		{name: "auto, cluster", kind: "auto", nats: "nats://x:4222", dir: "d", want: "nats"},
		{name: "auto, data dir", kind: "auto", dir: "d", want: "bolt"},
		{name: "auto, nothing", kind: "auto", want: "memory"},
		{name: "bolt in a cluster", kind: "bolt", nats: "nats://x:4222", dir: "d", want: "bolt"},
		{name: "nats without url", kind: "nats", dir: "d", errors: true},
		{name: "bolt without dir", kind: "bolt", errors: true},
		{name: "unknown", kind: "redis", errors: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := storeOptions{kind: tc.kind, replicas: 1}
			got, err := s.resolve(tc.nats, tc.dir)
			if (err != nil) != tc.errors || got != tc.want {
				t.Fatalf("resolve = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// With -nats-url the node's refresh-token store is the JetStream bucket;
// with -refresh-store bolt it stays in -data-dir.
func TestBuildNATSStore(t *testing.T) {
	ns := natstest.StartJetStream(t)
	t.Setenv("GATEWAY_NATS_URL", "")
	for _, tc := range []struct {
		name  string
		args  []string
		check func(auth.RefreshStore) bool
	}{
		{name: "auto", check: func(s auth.RefreshStore) bool { _, ok := s.(*natsstore.Store); return ok }},
		{name: "bolt", args: []string{"-refresh-store", "bolt"},
			check: func(s auth.RefreshStore) bool { _, ok := s.(*boltstore.Store); return ok }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var o options
			args := append([]string{"-nats-url", ns.URL(), "-data-dir", t.TempDir(), "-http-addr", "",
				"-addr", "127.0.0.1:0"}, tc.args...)
			if err := o.parse(args, io.Discard); err != nil {
				t.Fatal(err)
			}
			a, err := build(&o, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer a.close()
			if !tc.check(a.store) {
				t.Fatalf("store %T", a.store)
			}
			if a.registry == nil { // -max-sessions-per-user 16 by default: counted cluster-wide
				t.Fatal("no session registry in cluster mode")
			}
			if _, err := a.auth.RevokeUser("alice", ""); err != nil {
				t.Fatalf("store unusable: %v", err)
			}
		})
	}
}
