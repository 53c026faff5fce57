package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/imgate/gateway/cluster"
	"github.com/imgate/gateway/inbox"
)

// inboxOptions choose and bound the inbox store (PROTOCOL.md §8).
type inboxOptions struct {
	kind       string // auto, memory, bolt, nats, off
	retention  time.Duration
	maxEntries int
	maxBytes   int64
	workers    int
	replicas   int
}

func (s *inboxOptions) bind(fs *flag.FlagSet) {
	fs.StringVar(&s.kind, "inbox-store", "auto", "where users' inboxes live (offsets, resume, SYNC, ACK): memory (bounded by -inbox-max-bytes,\n"+
		"lost on restart), bolt (-data-dir/inbox.db, fsync with group commit), nats (a JetStream stream shared by\n"+
		"every node), off (no inbox: at-most-once delivery, no offsets), or auto: nats with -nats-url, else bolt\n"+
		"with -data-dir, else memory")
	fs.DurationVar(&s.retention, "inbox-retention", inbox.DefaultRetention, "inbox entries older than this are pruned")
	fs.IntVar(&s.maxEntries, "inbox-max-entries", inbox.DefaultMaxEntries, "entries kept per user; past it the user's oldest are pruned")
	fs.Int64Var(&s.maxBytes, "inbox-max-bytes", inbox.DefaultMaxBytes, "bytes the whole inbox store may hold (entries' data, user IDs and 48 bytes each);\n"+
		"past it the oldest entries of any user are pruned first")
	fs.IntVar(&s.workers, "inbox-workers", 64, "inbox store workers (appends and reads run there, never on an event loop)")
	fs.IntVar(&s.replicas, "inbox-replicas", 1, "replicas of the JetStream inbox stream when the gateway creates it (3 on a NATS cluster)")
}

// resolve turns auto into a kind and checks the kind's requirements.
func (s *inboxOptions) resolve(natsURL, dataDir string) (string, error) {
	kind := autoKind(s.kind, natsURL, dataDir)
	switch {
	case kind == "nats" && natsURL == "":
		return "", errors.New("-inbox-store nats needs -nats-url")
	case kind == "bolt" && dataDir == "":
		return "", errors.New("-inbox-store bolt needs -data-dir")
	case (kind == "bolt" || kind == "memory") && natsURL != "":
		return "", fmt.Errorf("-inbox-store %s keeps one node's inboxes: with -nats-url use nats or off", kind)
	case kind != "nats" && kind != "bolt" && kind != "memory" && kind != "off":
		return "", fmt.Errorf("-inbox-store must be auto, memory, bolt, nats or off, got %q", s.kind)
	case s.maxEntries < 1 || s.maxBytes < 1 || s.retention <= 0 || s.workers < 1 || s.replicas < 1:
		return "", errors.New("-inbox-max-entries, -inbox-max-bytes, -inbox-retention, -inbox-workers and -inbox-replicas must be positive")
	}
	return kind, nil
}

// openInbox opens the inbox store; nil with -inbox-store off. The nats
// store needs the bus started.
func openInbox(o *options, log *slog.Logger, bus *cluster.Bus) (inbox.Store, error) {
	kind, err := o.inbox.resolve(o.cluster.natsURL, o.dataDir)
	if err != nil || kind == "off" {
		return nil, err
	}
	lim := inbox.Limits{Retention: o.inbox.retention, MaxEntries: o.inbox.maxEntries, MaxBytes: o.inbox.maxBytes}
	switch kind {
	case "memory":
		log.Info("inbox store", "kind", kind, "max_bytes", lim.MaxBytes)
		return inbox.NewMemory(lim), nil
	case "bolt":
		if o.check {
			return nil, nil
		}
		path := filepath.Join(o.dataDir, inbox.BoltFileName)
		s, err := inbox.OpenBolt(path, lim)
		if err != nil {
			return nil, err
		}
		log.Info("inbox store", "kind", kind, "path", path)
		return s, nil
	}
	return openNATSInbox(o, log, bus, lim)
}

// closeWithInbox makes the store closer close the inbox store too (after
// the gateway's inbox workers have stopped: app.close).
func closeWithInbox(closeStore func() error, ib inbox.Store) func() error {
	if ib == nil {
		return closeStore
	}
	return func() error { return errors.Join(closeStore(), ib.Close()) }
}
