package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/auth/boltstore"
	"github.com/imgate/gateway/auth/natsstore"
	"github.com/imgate/gateway/cluster"
	"github.com/imgate/gateway/gateway"
)

// storeWait bounds how long a node waits for NATS at start when its
// refresh-token store is there.
const storeWait = 10 * time.Second

// storeOptions choose the refresh-token store.
type storeOptions struct {
	kind     string // auto, bolt, nats, memory
	bucket   string
	replicas int
}

func (s *storeOptions) bind(fs *flag.FlagSet) {
	fs.StringVar(&s.kind, "refresh-store", "auto", "where refresh-token families live: bolt (-data-dir/refresh-tokens.db), nats (a JetStream\n"+
		"key-value bucket shared by every node: refresh works on any node), memory (lost on restart), or auto:\n"+
		"nats with -nats-url, else bolt with -data-dir, else memory")
	fs.StringVar(&s.bucket, "nats-kv-bucket", natsstore.DefaultBucket, "JetStream key-value bucket of -refresh-store nats")
	fs.IntVar(&s.replicas, "nats-kv-replicas", 1, "replicas of the bucket when the gateway creates it (3 on a NATS cluster)")
}

// resolve turns auto into a kind and checks the kind's requirements.
func (s *storeOptions) resolve(natsURL, dataDir string) (string, error) {
	kind := autoKind(s.kind, natsURL, dataDir)
	switch {
	case kind == "nats" && natsURL == "":
		return "", errors.New("-refresh-store nats needs -nats-url")
	case kind == "bolt" && dataDir == "":
		return "", errors.New("-refresh-store bolt needs -data-dir")
	case kind != "nats" && kind != "bolt" && kind != "memory":
		return "", fmt.Errorf("-refresh-store must be auto, bolt, nats or memory, got %q", s.kind)
	case s.replicas < 1:
		return "", errors.New("-nats-kv-replicas must be at least 1")
	}
	return kind, nil
}

// openStore opens the refresh-token store that -refresh-store names. The
// nats store needs the bus started: it waits up to storeWait for NATS.
func openStore(o *options, log *slog.Logger, bus *cluster.Bus) (auth.RefreshStore, func() error, error) {
	kind, err := o.store.resolve(o.cluster.natsURL, o.dataDir)
	if err != nil {
		return nil, nil, err
	}
	none := func() error { return nil }
	switch {
	case kind == "memory" || (kind == "nats" && o.check):
		if kind == "memory" {
			log.Warn("refresh tokens are kept in memory and lost on restart", "refresh_store", kind)
		}
		return auth.NewMemoryStore(), none, nil
	case kind == "bolt":
		s, err := boltstore.OpenDir(o.dataDir, boltstore.Options{})
		if err != nil {
			return nil, nil, err
		}
		log.Info("refresh-token store", "path", s.Path())
		return s, s.Close, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeWait)
	defer cancel()
	for !bus.Ready() {
		select {
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("-refresh-store nats: NATS not reachable within %v", storeWait)
		case <-time.After(20 * time.Millisecond):
		}
	}
	s, err := natsstore.Open(ctx, bus.Conn(), natsstore.Options{Bucket: o.store.bucket, Replicas: o.store.replicas})
	if err != nil {
		return nil, nil, err
	}
	log.Info("refresh-token store", "nats_kv_bucket", o.store.bucket)
	return s, none, nil
}

// openRegistry opens the cluster's session registry when the login policy
// limits sessions (anything but multi without a cap), so that it holds
// across nodes. Without NATS JetStream it warns and returns nil: each node
// then applies the policy to its own sessions.
func openRegistry(o *options, log *slog.Logger, bus *cluster.Bus) *cluster.Registry {
	if bus == nil || o.check || (o.loginPolicy == "multi" && o.maxSessionsPerUser == 0) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeWait)
	defer cancel()
	for !bus.Ready() {
		select {
		case <-ctx.Done():
			log.Warn("session registry: NATS not reachable; login policy per node only")
			return nil
		case <-time.After(20 * time.Millisecond):
		}
	}
	r, err := cluster.OpenRegistry(ctx, bus.Conn(), cluster.RegistryOptions{Replicas: o.store.replicas})
	if err != nil {
		log.Warn("session registry unavailable (does NATS have JetStream?); login policy per node only", "err", err)
		return nil
	}
	return r
}

// asRegistry avoids handing the gateway a typed nil.
func asRegistry(r *cluster.Registry) gateway.SessionRegistry {
	if r == nil {
		return nil
	}
	return r
}

// autoKind turns the store kind "auto" into nats with -nats-url, else bolt
// with -data-dir, else memory; any other kind is returned as is
// (-refresh-store and -inbox-store).
func autoKind(kind, natsURL, dataDir string) string {
	if kind != "auto" {
		return kind
	}
	switch {
	case natsURL != "":
		return "nats"
	case dataDir != "":
		return "bolt"
	default:
		return "memory"
	}
}
