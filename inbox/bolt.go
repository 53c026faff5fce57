package inbox

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// BoltFileName is the Bolt store's file in a data directory.
const BoltFileName = "inbox.db"

var (
	bkMeta    = []byte("meta")    // epoch, forgotten, entries, bytes
	bkUsers   = []byte("users")   // user → last, floor, count
	bkEntries = []byte("entries") // ukey(user)+be64(off) → prev, at, data; its sequence hands out offsets
	bkOrder   = []byte("order")   // be64(off) → user: every entry in append order, for pruning
	bkCursors = []byte("cursors") // ukey(user)+device → be64(cursor)
)

const (
	// maxGroup bounds the appends that share one transaction and fsync.
	maxGroup = 512
	// pruneChunk bounds the deletions of one pruning transaction.
	pruneChunk = 2000
)

// Bolt is a Store in a bbolt file. Appends go through one committer
// goroutine that takes every append waiting when it starts a transaction
// (group commit): concurrent appends share one fsync, and a lone append
// waits for no timer. Retention and the total bound are applied by a
// pruning goroutine once a second (and at once when an append goes over
// MaxBytes) in transactions of its own, so pruning never makes an append
// wait longer than one such transaction.
type Bolt struct {
	db    *bolt.DB
	lim   Limits
	epoch string
	stats counters
	reqs  chan *boltAppend
	kick  chan struct{}
	stop  chan struct{}
	wg    sync.WaitGroup
	mu    sync.RWMutex // held for reading by senders on reqs, for writing by Close
	shut  bool
}

type boltAppend struct {
	recs []Record
	pos  []Pos
	err  error
	done chan struct{}
}

var _ Store = (*Bolt)(nil)

// OpenBolt opens (creating it and its directory) the store file at path.
func OpenBolt(path string, lim Limits) (*Bolt, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	// NoFreelistSync: a commit does not write the freelist (which grows
	// with every pruned page) but bbolt rebuilds it at open by a scan.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second, FreelistType: bolt.FreelistMapType,
		NoFreelistSync: true})
	if err != nil {
		return nil, fmt.Errorf("%w: open %s: %w", ErrUnavailable, path, err)
	}
	b := &Bolt{db: db, lim: lim.withDefaults(), reqs: make(chan *boltAppend, maxGroup),
		kick: make(chan struct{}, 1), stop: make(chan struct{})}
	if err := db.Update(b.init); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("%w: init %s: %w", ErrUnavailable, path, err)
	}
	b.wg.Add(2)
	go b.commit()
	go b.pruner()
	return b, nil
}

func (b *Bolt) init(tx *bolt.Tx) error {
	for _, name := range [][]byte{bkMeta, bkUsers, bkEntries, bkOrder, bkCursors} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	meta := tx.Bucket(bkMeta)
	if e := meta.Get([]byte("epoch")); e != nil {
		b.epoch = string(e)
	} else {
		b.epoch = newEpoch()
		if err := meta.Put([]byte("epoch"), []byte(b.epoch)); err != nil {
			return err
		}
	}
	b.stats.entries.Store(int64(getU64(meta, "entries")))
	b.stats.bytes.Store(int64(getU64(meta, "bytes")))
	return nil
}

// Append implements Store: the records join the next group commit.
func (b *Bolt) Append(recs []Record) ([]Pos, error) {
	if err := checkRecords(recs); err != nil {
		return nil, err
	}
	r := &boltAppend{recs: recs, done: make(chan struct{})}
	b.mu.RLock()
	if b.shut {
		b.mu.RUnlock()
		return nil, ErrClosed
	}
	b.reqs <- r
	b.mu.RUnlock()
	<-r.done
	return r.pos, r.err
}

// commit is the committer goroutine.
func (b *Bolt) commit() {
	defer b.wg.Done()
	group := make([]*boltAppend, 0, maxGroup)
	for r := range b.reqs {
		group = append(group[:0], r)
	more:
		for len(group) < maxGroup {
			select {
			case r, ok := <-b.reqs:
				if !ok {
					break more
				}
				group = append(group, r)
			default:
				break more
			}
		}
		b.commitGroup(group)
	}
}

// commitGroup writes a group in one transaction. If that fails, each
// append is retried alone, so one bad append fails only itself.
func (b *Bolt) commitGroup(group []*boltAppend) {
	var over bool
	err := b.db.Update(func(tx *bolt.Tx) error {
		w := newBoltWriter(tx, b)
		for _, r := range group {
			if r.pos, r.err = w.append(r.recs); r.err != nil {
				return r.err
			}
		}
		over = w.finish() > b.lim.MaxBytes
		return nil
	})
	if err != nil && len(group) > 1 {
		for _, r := range group {
			b.commitGroup([]*boltAppend{r})
		}
		return
	}
	for _, r := range group {
		if err != nil {
			r.pos, r.err = nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
		} else {
			b.stats.appends.Add(int64(len(r.recs)))
		}
		close(r.done)
	}
	if over {
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
}

// boltWriter appends within one transaction and keeps the totals' deltas.
type boltWriter struct {
	b                           *Bolt
	meta, users, entries, order *bolt.Bucket
	dEntries, dBytes, pruned    int64
	forgotten                   uint64
	now                         int64
}

func newBoltWriter(tx *bolt.Tx, b *Bolt) *boltWriter {
	meta := tx.Bucket(bkMeta)
	return &boltWriter{b: b, meta: meta, users: tx.Bucket(bkUsers), entries: tx.Bucket(bkEntries),
		order: tx.Bucket(bkOrder), forgotten: getU64(meta, "forgotten"), now: b.lim.Now().UnixNano()}
}

func (w *boltWriter) append(recs []Record) ([]Pos, error) {
	pos := make([]Pos, len(recs))
	for i, r := range recs {
		off, err := w.entries.NextSequence()
		if err != nil {
			return nil, err
		}
		u := w.user(r.User)
		pos[i] = Pos{Offset: off, Prev: u.last}
		val := make([]byte, 16+len(r.Data))
		binary.BigEndian.PutUint64(val, u.last)
		binary.BigEndian.PutUint64(val[8:], uint64(w.now))
		copy(val[16:], r.Data)
		if err := w.entries.Put(entryKey(r.User, off), val); err != nil {
			return nil, err
		}
		if err := w.order.Put(be64(off), []byte(r.User)); err != nil {
			return nil, err
		}
		u.last, u.count = off, u.count+1
		w.dEntries++
		w.dBytes += entrySize(r.User, r.Data)
		for u.count > uint64(w.b.lim.MaxEntries) {
			if err := w.dropFirst(r.User, &u); err != nil {
				return nil, err
			}
		}
		if err := w.putUser(r.User, u); err != nil {
			return nil, err
		}
	}
	return pos, nil
}

type boltUser struct{ last, floor, count uint64 }

func (w *boltWriter) user(user string) boltUser {
	v := w.users.Get([]byte(user))
	if len(v) != 24 {
		return boltUser{floor: w.forgotten}
	}
	return boltUser{last: binary.BigEndian.Uint64(v), floor: binary.BigEndian.Uint64(v[8:]),
		count: binary.BigEndian.Uint64(v[16:])}
}

// putUser saves u, or forgets the user when it holds no entry.
func (w *boltWriter) putUser(user string, u boltUser) error {
	if u.count == 0 {
		w.forgotten = max(w.forgotten, u.last)
		return w.users.Delete([]byte(user))
	}
	v := make([]byte, 24)
	binary.BigEndian.PutUint64(v, u.last)
	binary.BigEndian.PutUint64(v[8:], u.floor)
	binary.BigEndian.PutUint64(v[16:], u.count)
	return w.users.Put([]byte(user), v)
}

// dropFirst deletes user's oldest entry.
func (w *boltWriter) dropFirst(user string, u *boltUser) error {
	prefix := userKey(user)
	k, v := w.entries.Cursor().Seek(prefix)
	if k == nil || !bytes.HasPrefix(k, prefix) || len(k) != len(prefix)+8 {
		u.count = 0
		return nil
	}
	off := binary.BigEndian.Uint64(k[len(prefix):])
	return w.drop(user, u, k, off, int64(len(v)-16))
}

func (w *boltWriter) drop(user string, u *boltUser, key []byte, off uint64, dataLen int64) error {
	if err := w.entries.Delete(key); err != nil {
		return err
	}
	if err := w.order.Delete(be64(off)); err != nil {
		return err
	}
	u.floor, u.count = max(u.floor, off), u.count-1
	w.dEntries--
	w.dBytes -= int64(len(user)) + dataLen + entryOverhead
	w.pruned++
	return nil
}

// finish stores the totals and returns the bytes held.
func (w *boltWriter) finish() int64 {
	entries := int64(getU64(w.meta, "entries")) + w.dEntries
	bytes := int64(getU64(w.meta, "bytes")) + w.dBytes
	_ = w.meta.Put([]byte("entries"), be64(uint64(entries)))
	_ = w.meta.Put([]byte("bytes"), be64(uint64(bytes)))
	_ = w.meta.Put([]byte("forgotten"), be64(w.forgotten))
	w.b.stats.entries.Store(entries)
	w.b.stats.bytes.Store(bytes)
	w.b.stats.pruned.Add(w.pruned)
	return bytes
}

// pruner applies retention and MaxBytes.
func (b *Bolt) pruner() {
	defer b.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
		case <-b.kick:
		}
		for b.pruneOnce() {
		}
	}
}

// Prune applies retention and MaxBytes now (it also runs every second).
func (b *Bolt) Prune() {
	for b.pruneOnce() {
	}
}

// pruneOnce runs one pruning transaction and reports whether there may be
// more to prune.
func (b *Bolt) pruneOnce() bool {
	more := false
	_ = b.db.Update(func(tx *bolt.Tx) error {
		w := newBoltWriter(tx, b)
		cut := b.lim.Now().Add(-b.lim.Retention).UnixNano()
		total := int64(getU64(w.meta, "bytes"))
		c := w.order.Cursor()
		n := 0
		for k, v := c.First(); k != nil; k, v = c.First() {
			if n == pruneChunk {
				more = true
				break
			}
			user, off := string(v), binary.BigEndian.Uint64(k)
			key := entryKey(user, off)
			val := w.entries.Get(key)
			if len(val) < 16 {
				_ = w.order.Delete(k) // cannot happen: order follows entries
				continue
			}
			if total+w.dBytes <= b.lim.MaxBytes && int64(binary.BigEndian.Uint64(val[8:])) > cut {
				break
			}
			u := w.user(user)
			if err := w.drop(user, &u, key, off, int64(len(val)-16)); err != nil {
				return err
			}
			if err := w.putUser(user, u); err != nil {
				return err
			}
			n++
		}
		if n > 0 {
			w.finish()
		}
		return nil
	})
	return more
}

// Read implements Store.
func (b *Bolt) Read(user string, after uint64, limit int) (Page, error) {
	var p Page
	err := b.db.View(func(tx *bolt.Tx) error {
		w := &boltWriter{users: tx.Bucket(bkUsers), forgotten: getU64(tx.Bucket(bkMeta), "forgotten")}
		u := w.user(user)
		p.Latest, p.Lost = u.last, after > 0 && after < u.floor
		prefix := userKey(user)
		c := tx.Bucket(bkEntries).Cursor()
		for k, v := c.Seek(entryKey(user, after+1)); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, v = c.Next() {
			if len(p.Entries) == limit {
				p.More = true
				break
			}
			p.Entries = append(p.Entries, Entry{Offset: binary.BigEndian.Uint64(k[len(prefix):]),
				Prev: binary.BigEndian.Uint64(v), Data: bytes.Clone(v[16:])})
		}
		return nil
	})
	if err != nil {
		return Page{}, b.wrap(err)
	}
	return p, nil
}

// Latest implements Store.
func (b *Bolt) Latest(user string) (uint64, error) {
	var last uint64
	err := b.db.View(func(tx *bolt.Tx) error {
		last = (&boltWriter{users: tx.Bucket(bkUsers)}).user(user).last
		return nil
	})
	return last, b.wrap(err)
}

// Epoch implements Store.
func (b *Bolt) Epoch() string { return b.epoch }

// Ack implements Store. A cursor is written in its own transaction: acks
// are rare next to appends.
func (b *Bolt) Ack(user, device string, offset uint64) (uint64, error) {
	var cur uint64
	err := b.db.Update(func(tx *bolt.Tx) error {
		last := (&boltWriter{users: tx.Bucket(bkUsers)}).user(user).last
		key := append(userKey(user), device...)
		bk := tx.Bucket(bkCursors)
		if v := bk.Get(key); len(v) == 8 {
			cur = binary.BigEndian.Uint64(v)
		}
		if n := min(offset, last); n > cur {
			cur = n
			return bk.Put(key, be64(cur))
		}
		return nil
	})
	return cur, b.wrap(err)
}

// Cursor implements Store.
func (b *Bolt) Cursor(user, device string) (uint64, error) {
	var cur uint64
	err := b.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bkCursors).Get(append(userKey(user), device...)); len(v) == 8 {
			cur = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	return cur, b.wrap(err)
}

// Stats implements Store.
func (b *Bolt) Stats() Stats { return b.stats.stats() }

// Close waits for the appends in flight, then closes the file.
func (b *Bolt) Close() error {
	b.mu.Lock()
	if b.shut {
		b.mu.Unlock()
		return nil
	}
	b.shut = true
	close(b.reqs)
	b.mu.Unlock()
	close(b.stop)
	b.wg.Wait()
	return b.db.Close()
}

func (b *Bolt) wrap(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bolt.ErrDatabaseNotOpen):
		return ErrClosed
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// userKey is a user's key prefix: its length, then the ID, so that no
// user's prefix is another's.
func userKey(user string) []byte {
	k := make([]byte, 2, 2+len(user)+8)
	binary.BigEndian.PutUint16(k, uint16(len(user)))
	return append(k, user...)
}

func entryKey(user string, off uint64) []byte {
	return binary.BigEndian.AppendUint64(userKey(user), off)
}

func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func getU64(b *bolt.Bucket, key string) uint64 {
	if v := b.Get([]byte(key)); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}
