package boltstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/imgate/gateway/auth"
)

// FileName is the store's file in a data directory.
const FileName = "refresh-tokens.db"

var (
	bucketFamilies = []byte("families")
	bucketUsers    = []byte("users")
)

// headerLen is the version and expiry stored before a family's encoding.
const headerLen = 16

// pruneChunk bounds the deletions of one Prune transaction.
const pruneChunk = 1000

// Options configures Open. Zero fields get the defaults named on each.
type Options struct {
	// LockTimeout is how long Open waits for another process to release
	// the file (default 2s).
	LockTimeout time.Duration
	// MaxBatchDelay is how long a change waits for others to share its
	// transaction and fsync (default 2ms; bbolt's own default, 10ms, would
	// be most of a lone refresh's latency).
	MaxBatchDelay time.Duration
}

// Store is a RefreshStore in a bbolt file.
type Store struct {
	db *bolt.DB
}

var _ auth.RefreshStore = (*Store)(nil)

// Open opens (creating it and its directory, modes 0600 and 0700) the store
// file at path.
func Open(path string, o Options) (*Store, error) {
	if o.LockTimeout <= 0 {
		o.LockTimeout = 2 * time.Second
	}
	if o.MaxBatchDelay <= 0 {
		o.MaxBatchDelay = 2 * time.Millisecond
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("%w: %w", auth.ErrStore, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.LockTimeout, FreelistType: bolt.FreelistMapType})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s is in use by another process", auth.ErrStore, path)
	} else if err != nil {
		return nil, fmt.Errorf("%w: open %s: %w", auth.ErrStore, path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketFamilies, bucketUsers} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("%w: init %s: %w", auth.ErrStore, path, err)
	}
	db.MaxBatchDelay = o.MaxBatchDelay
	return &Store{db: db}, nil
}

// OpenDir opens FileName in dir.
func OpenDir(dir string, o Options) (*Store, error) {
	return Open(filepath.Join(dir, FileName), o)
}

// Close closes the file; the store must not be used afterwards.
func (s *Store) Close() error { return s.db.Close() }

// Path is the store's file.
func (s *Store) Path() string { return s.db.Path() }

// Create implements auth.RefreshStore.
func (s *Store) Create(f *auth.Family) error {
	enc, err := f.MarshalBinary()
	if err != nil {
		return fmt.Errorf("%w: %w", auth.ErrStore, err)
	}
	return s.batch(func(tx *bolt.Tx) error {
		fams := tx.Bucket(bucketFamilies)
		if fams.Get([]byte(f.ID)) != nil {
			return auth.ErrFamilyExists
		}
		seq, err := fams.NextSequence()
		if err != nil {
			return err
		}
		if err := fams.Put([]byte(f.ID), record(seq, f.Expires, enc)); err != nil {
			return err
		}
		return tx.Bucket(bucketUsers).Put(userKey(f.UserID, f.ID), nil)
	})
}

// Get implements auth.RefreshStore.
func (s *Store) Get(id string) (auth.Family, auth.Version, error) {
	var f auth.Family
	var v auth.Version
	err := s.db.View(func(tx *bolt.Tx) error {
		rec := tx.Bucket(bucketFamilies).Get([]byte(id))
		if rec == nil {
			return auth.ErrFamilyNotFound
		}
		var err error
		v, err = decode(rec, &f)
		return err
	})
	if err != nil {
		return auth.Family{}, 0, wrap(err)
	}
	return f, v, nil
}

// Update implements auth.RefreshStore.
func (s *Store) Update(f *auth.Family, v auth.Version) error {
	enc, err := f.MarshalBinary()
	if err != nil {
		return fmt.Errorf("%w: %w", auth.ErrStore, err)
	}
	return s.batch(func(tx *bolt.Tx) error {
		fams := tx.Bucket(bucketFamilies)
		rec := fams.Get([]byte(f.ID))
		switch {
		case rec == nil:
			return auth.ErrFamilyNotFound
		case len(rec) < headerLen || auth.Version(binary.BigEndian.Uint64(rec)) != v:
			return auth.ErrConflict
		}
		seq, err := fams.NextSequence()
		if err != nil {
			return err
		}
		return fams.Put([]byte(f.ID), record(seq, f.Expires, enc))
	})
}

// ByUser implements auth.RefreshStore.
func (s *Store) ByUser(userID string) ([]string, error) {
	var ids []string
	prefix := userKey(userID, "")
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketUsers).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			ids = append(ids, string(k[len(prefix):]))
		}
		return nil
	})
	return ids, wrap(err)
}

// RevokedSince implements auth.RefreshStore. It reads every family.
func (s *Store) RevokedSince(since time.Time) ([]auth.Family, error) {
	var out []auth.Family
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketFamilies).ForEach(func(_, rec []byte) error {
			var f auth.Family
			if _, err := decode(rec, &f); err != nil {
				return err
			}
			if f.IsRevoked() && !f.Revoked.Before(since) {
				out = append(out, f)
			}
			return nil
		})
	})
	return out, wrap(err)
}

// Prune implements auth.RefreshStore: it deletes expired families and their
// index entries, pruneChunk per transaction.
func (s *Store) Prune(now time.Time) (int, error) {
	total := 0
	for {
		n := 0
		err := s.db.Update(func(tx *bolt.Tx) error {
			n = 0
			return pruneSome(tx, now.UnixNano(), &n)
		})
		total += n
		if err != nil || n < pruneChunk {
			return total, wrap(err)
		}
	}
}

func pruneSome(tx *bolt.Tx, now int64, n *int) error {
	fams, users := tx.Bucket(bucketFamilies), tx.Bucket(bucketUsers)
	var dead, deadUsers [][]byte
	c := fams.Cursor()
	for k, rec := c.First(); k != nil && len(dead) < pruneChunk; k, rec = c.Next() {
		if len(rec) >= headerLen && int64(binary.BigEndian.Uint64(rec[8:])) >= now {
			continue
		}
		var f auth.Family
		if _, err := decode(rec, &f); err != nil {
			return err
		}
		dead = append(dead, bytes.Clone(k))
		deadUsers = append(deadUsers, userKey(f.UserID, f.ID))
	}
	for i := range dead {
		if err := fams.Delete(dead[i]); err != nil {
			return err
		}
		if err := users.Delete(deadUsers[i]); err != nil {
			return err
		}
	}
	*n = len(dead)
	return nil
}

// batch runs fn in a coalesced write transaction. fn may run more than
// once (bbolt retries it alone when another function of the batch fails):
// it must only read and write tx.
func (s *Store) batch(fn func(*bolt.Tx) error) error {
	return wrap(s.db.Batch(fn))
}

// record is a stored family: version, expiry (Unix nanoseconds) and the
// encoding.
func record(seq uint64, expires time.Time, enc []byte) []byte {
	rec := make([]byte, headerLen, headerLen+len(enc))
	binary.BigEndian.PutUint64(rec, seq)
	binary.BigEndian.PutUint64(rec[8:], uint64(expires.UnixNano()))
	return append(rec, enc...)
}

// decode reads a stored record into f and returns its version. rec is only
// valid inside its transaction; f copies what it keeps.
func decode(rec []byte, f *auth.Family) (auth.Version, error) {
	if len(rec) < headerLen {
		return 0, fmt.Errorf("%w: short record", auth.ErrStore)
	}
	if err := f.UnmarshalBinary(rec[headerLen:]); err != nil {
		return 0, err
	}
	return auth.Version(binary.BigEndian.Uint64(rec)), nil
}

// userKey is the index key of a user's family: the user ID's length
// (uvarint), the user ID, the family ID. With id "" it is the prefix of
// all the user's keys.
func userKey(userID, id string) []byte {
	k := binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen64+len(userID)+len(id)), uint64(len(userID)))
	k = append(k, userID...)
	return append(k, id...)
}

// wrap passes the auth sentinels through and wraps everything else with
// auth.ErrStore.
func wrap(err error) error {
	switch {
	case err == nil, errors.Is(err, auth.ErrStore), errors.Is(err, auth.ErrFamilyNotFound),
		errors.Is(err, auth.ErrFamilyExists), errors.Is(err, auth.ErrConflict):
		return err
	}
	return fmt.Errorf("%w: %w", auth.ErrStore, err)
}
