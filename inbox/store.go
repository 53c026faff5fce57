package inbox

import (
	"crypto/rand"
	"encoding/hex"
	"sync/atomic"
	"time"
)

// Record is one entry to append: Data goes to User's inbox.
type Record struct {
	User string
	Data []byte
}

// Pos is where an appended entry landed: its offset in the user's inbox
// and the offset of the user's previous entry (0 for the first one ever,
// or the last one the store forgot).
type Pos struct {
	Offset, Prev uint64
}

// Entry is one stored entry.
type Entry struct {
	Offset, Prev uint64
	Data         []byte // owned by the caller once returned
}

// Page is the answer to Read.
type Page struct {
	Entries []Entry
	// More is true when limit cut the page short.
	More bool
	// Lost is true when entries after the requested offset were pruned
	// (after > 0): the reader cannot have a complete history from there.
	Lost bool
	// Latest is the user's latest offset when the page was read.
	Latest uint64
}

// Store is a set of inboxes. All methods are safe from any goroutine and
// may block on I/O; none is to be called on an event loop.
type Store interface {
	// Append adds every record, in order, and returns each one's Pos once
	// all of them are durable (as durable as the store is: memory is not).
	// On error none of them is visible to Read (all or nothing).
	Append(recs []Record) ([]Pos, error)
	// Read returns up to limit entries of user's inbox with offsets after
	// after, oldest first.
	Read(user string, after uint64, limit int) (Page, error)
	// Latest returns user's latest offset (0 for an empty inbox).
	Latest(user string) (uint64, error)
	// Epoch names the store's history: it changes when that is lost.
	Epoch() string
	// Ack moves the cursor of (user, device) forward to offset (never
	// back, never past Latest) and returns the cursor.
	Ack(user, device string, offset uint64) (uint64, error)
	// Cursor returns the cursor of (user, device); 0 if it never acked.
	Cursor(user, device string) (uint64, error)
	// Stats returns the store's counters.
	Stats() Stats
	// Close releases the store; later calls fail with ErrClosed.
	Close() error
}

// Stats are a store's counters, for /metrics.
type Stats struct {
	Entries int64 // entries held
	Bytes   int64 // bytes held (data plus per-entry overhead)
	Appends int64 // entries appended since start
	Pruned  int64 // entries pruned since start (retention, per-user cap, total bound)
}

// Limits bound a store. Zero fields get the defaults named on each.
type Limits struct {
	// Retention: entries older than this are pruned (default 72h).
	Retention time.Duration
	// MaxEntries per user: past it the user's oldest go (default 1,000).
	MaxEntries int
	// MaxBytes bounds the whole store: past it the oldest entries of any
	// user go first (default 256 MiB).
	MaxBytes int64
	// Now is the clock (default time.Now); tests move it.
	Now func() time.Time
}

// Defaults of Limits.
const (
	DefaultRetention  = 72 * time.Hour
	DefaultMaxEntries = 1000
	DefaultMaxBytes   = 256 << 20
	// MaxEntryBytes bounds one entry's data.
	MaxEntryBytes = 1 << 20
	// entryOverhead is what an entry costs beyond its data and user ID, as
	// counted in Stats.Bytes and against MaxBytes.
	entryOverhead = 48
)

func (l Limits) withDefaults() Limits {
	if l.Retention <= 0 {
		l.Retention = DefaultRetention
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.Now == nil {
		l.Now = time.Now
	}
	return l
}

func entrySize(user string, data []byte) int64 {
	return int64(len(user) + len(data) + entryOverhead)
}

func newEpoch() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// counters are the atomics behind Stats.
type counters struct {
	entries, bytes, appends, pruned atomic.Int64
}

func (c *counters) stats() Stats {
	return Stats{Entries: c.entries.Load(), Bytes: c.bytes.Load(), Appends: c.appends.Load(), Pruned: c.pruned.Load()}
}

func checkRecords(recs []Record) error {
	for _, r := range recs {
		if len(r.Data) > MaxEntryBytes {
			return ErrTooLarge
		}
	}
	return nil
}
