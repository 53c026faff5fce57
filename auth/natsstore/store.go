package natsstore

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/imgate/gateway/auth"
)

// DefaultBucket is the bucket's default name.
const DefaultBucket = "imgate_refresh"

// Options configures Open. Zero fields get the defaults named on each.
type Options struct {
	// Bucket is the key-value bucket (default DefaultBucket). Open creates
	// it if it does not exist and otherwise uses it as it is.
	Bucket string
	// Replicas is how many servers of a NATS cluster keep the bucket
	// (default 1; 3 for a cluster that must survive a server).
	Replicas int
	// Memory keeps the bucket in memory instead of files (tests).
	Memory bool
	// Timeout bounds each operation (default 5s).
	Timeout time.Duration
}

// Store is a RefreshStore in a JetStream key-value bucket.
type Store struct {
	kv      jetstream.KeyValue
	timeout time.Duration
}

var _ auth.RefreshStore = (*Store)(nil)

// Open binds to (creating it if needed) the bucket on nc. nc must be
// connected; the Store uses it and never closes it.
func Open(ctx context.Context, nc *nats.Conn, o Options) (*Store, error) {
	if o.Bucket == "" {
		o.Bucket = DefaultBucket
	}
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("%w: jetstream: %w", auth.ErrStore, err)
	}
	storage := jetstream.FileStorage
	if o.Memory {
		storage = jetstream.MemoryStorage
	}
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: o.Bucket, History: 1, Replicas: o.Replicas,
		Storage: storage, MaxValueSize: 4096, Description: "imgate refresh-token families"})
	if errors.Is(err, jetstream.ErrBucketExists) {
		kv, err = js.KeyValue(ctx, o.Bucket)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: bucket %s: %w", auth.ErrStore, o.Bucket, err)
	}
	return &Store{kv: kv, timeout: o.Timeout}, nil
}

func (s *Store) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.timeout)
}

// Create implements auth.RefreshStore.
func (s *Store) Create(f *auth.Family) error {
	key, ok := familyKey(f.ID)
	if !ok || f.UserID == "" {
		return fmt.Errorf("%w: %w", auth.ErrStore, errBadID)
	}
	enc, err := f.MarshalBinary()
	if err != nil {
		return fmt.Errorf("%w: %w", auth.ErrStore, err)
	}
	ctx, cancel := s.ctx()
	defer cancel()
	if _, err := s.kv.Create(ctx, key, enc); errors.Is(err, jetstream.ErrKeyExists) {
		return auth.ErrFamilyExists
	} else if err != nil {
		return wrap(err)
	}
	_, err = s.kv.Put(ctx, userKey(f.UserID, f.ID), nil)
	return wrap(err)
}

// Get implements auth.RefreshStore.
func (s *Store) Get(id string) (auth.Family, auth.Version, error) {
	key, ok := familyKey(id)
	if !ok {
		return auth.Family{}, 0, auth.ErrFamilyNotFound
	}
	ctx, cancel := s.ctx()
	defer cancel()
	e, err := s.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return auth.Family{}, 0, auth.ErrFamilyNotFound
	} else if err != nil {
		return auth.Family{}, 0, wrap(err)
	}
	var f auth.Family
	if err := f.UnmarshalBinary(e.Value()); err != nil {
		return auth.Family{}, 0, err
	}
	return f, auth.Version(e.Revision()), nil
}

// Update implements auth.RefreshStore.
func (s *Store) Update(f *auth.Family, v auth.Version) error {
	key, ok := familyKey(f.ID)
	if !ok {
		return auth.ErrFamilyNotFound
	}
	enc, err := f.MarshalBinary()
	if err != nil {
		return fmt.Errorf("%w: %w", auth.ErrStore, err)
	}
	ctx, cancel := s.ctx()
	defer cancel()
	_, err = s.kv.Update(ctx, key, enc, uint64(v))
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
		if _, _, gerr := s.Get(f.ID); errors.Is(gerr, auth.ErrFamilyNotFound) {
			return auth.ErrFamilyNotFound
		}
		return auth.ErrConflict
	}
	return wrap(err)
}

// ByUser implements auth.RefreshStore.
func (s *Store) ByUser(userID string) ([]string, error) {
	prefix := userKey(userID, "")
	var ids []string
	err := s.each(prefix+"*", true, func(e jetstream.KeyValueEntry) error {
		ids = append(ids, e.Key()[len(prefix):])
		return nil
	})
	return ids, err
}

// RevokedSince implements auth.RefreshStore. It reads every family.
func (s *Store) RevokedSince(since time.Time) ([]auth.Family, error) {
	var out []auth.Family
	err := s.each("f.*", false, func(e jetstream.KeyValueEntry) error {
		var f auth.Family
		if err := f.UnmarshalBinary(e.Value()); err != nil {
			return err
		}
		if f.IsRevoked() && !f.Revoked.Before(since) {
			out = append(out, f)
		}
		return nil
	})
	return out, err
}

// Prune implements auth.RefreshStore: it purges the families whose
// Expires is before now and their index keys. A family changed meanwhile
// (by a refresh on another node) is left alone. Several nodes may prune at
// once.
func (s *Store) Prune(now time.Time) (int, error) {
	type dead struct {
		f   auth.Family
		rev uint64
	}
	var expired []dead
	err := s.each("f.*", false, func(e jetstream.KeyValueEntry) error {
		var f auth.Family
		if err := f.UnmarshalBinary(e.Value()); err != nil {
			return err
		}
		if f.Expires.Before(now) {
			expired = append(expired, dead{f: f, rev: e.Revision()})
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range expired {
		key, _ := familyKey(d.f.ID)
		ctx, cancel := s.ctx()
		err := s.kv.Purge(ctx, key, jetstream.LastRevision(d.rev))
		if err == nil {
			n++
			err = s.kv.Purge(ctx, userKey(d.f.UserID, d.f.ID))
		}
		cancel()
		if err != nil && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) && !errors.Is(err, jetstream.ErrKeyExists) {
			return n, wrap(err)
		}
	}
	return n, nil
}

// each calls fn for every live key matching filter (values too unless
// metaOnly), and fails if the listing does not finish within the timeout.
func (s *Store) each(filter string, metaOnly bool, fn func(jetstream.KeyValueEntry) error) error {
	ctx, cancel := s.ctx()
	defer cancel()
	opts := []jetstream.WatchOpt{jetstream.IgnoreDeletes()}
	if metaOnly {
		opts = append(opts, jetstream.MetaOnly())
	}
	w, err := s.kv.WatchFiltered(ctx, []string{filter}, opts...)
	if err != nil {
		return wrap(err)
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case e := <-w.Updates():
			if e == nil { // the initial values are all here
				return nil
			}
			if err := fn(e); err != nil {
				return err
			}
		case <-ctx.Done():
			return fmt.Errorf("%w: listing %s: %w", auth.ErrStore, filter, ctx.Err())
		}
	}
}

var b64 = base64.RawURLEncoding

// familyKey is the key of family id; ok is false for an ID that is not
// 1-64 bytes of [A-Za-z0-9_-] (the Manager's IDs are base64url).
func familyKey(id string) (string, bool) {
	if id == "" || len(id) > 64 {
		return "", false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return "", false
		}
	}
	return "f." + id, true
}

// userKey is the index key of userID's family id; with id "" it is the
// prefix of all the user's keys.
func userKey(userID, id string) string {
	return "u." + b64.EncodeToString([]byte(userID)) + "." + id
}

// wrap passes the auth sentinels through and wraps the rest in
// auth.ErrStore.
func wrap(err error) error {
	switch {
	case err == nil, errors.Is(err, auth.ErrStore), errors.Is(err, auth.ErrFamilyNotFound),
		errors.Is(err, auth.ErrFamilyExists), errors.Is(err, auth.ErrConflict):
		return err
	}
	return fmt.Errorf("%w: %w", auth.ErrStore, err)
}
