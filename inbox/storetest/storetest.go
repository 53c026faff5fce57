// Package storetest checks that an inbox.Store keeps the contract the
// gateway relies on: offsets that increase per user, a complete prev
// chain, paging, retention and the per-user and total bounds (with the
// lost flag), a stable epoch, forward-only cursors, and concurrent appends
// for one user. Every store runs it from its own tests:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, lim inbox.Limits) inbox.Store { return openMyStore(t, lim) })
//	}
//
// open must return an empty store with those limits and arrange for it to
// be closed when the test ends. A store that has a Prune() method is
// pruned through it; others must prune within a few seconds by themselves.
package storetest

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imgate/gateway/inbox"
	"github.com/imgate/gateway/internal/testutil"
)

// Open makes a fresh, empty store with lim.
type Open func(t *testing.T, lim inbox.Limits) inbox.Store

// Run runs every check, each on a fresh store from open.
func Run(t *testing.T, open Open) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, Open)
	}{
		{name: "order and prev chain", fn: testOrder},
		{name: "paging", fn: testPaging},
		{name: "max entries per user", fn: testMaxEntries},
		{name: "retention", fn: testRetention},
		{name: "total bound", fn: testMaxBytes},
		{name: "epoch", fn: testEpoch},
		{name: "cursors", fn: testCursors},
		{name: "concurrent appends", fn: testConcurrent},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

// Clock is a test clock for Limits.Now.
type Clock struct{ ns atomic.Int64 }

// NewClock starts at a fixed time.
func NewClock() *Clock {
	c := &Clock{}
	c.ns.Store(time.Unix(1_800_000_000, 0).UnixNano())
	return c
}

// Now is Limits.Now.
func (c *Clock) Now() time.Time { return time.Unix(0, c.ns.Load()) }

// Advance moves the clock.
func (c *Clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// Append appends one record and fails the test on error.
func Append(t *testing.T, s inbox.Store, user, data string) inbox.Pos {
	t.Helper()
	pos, err := s.Append([]inbox.Record{{User: user, Data: []byte(data)}})
	if err != nil || len(pos) != 1 {
		t.Fatalf("Append(%s): %v, %d positions", user, err, len(pos))
	}
	return pos[0]
}

// ReadAll reads user's entries after after, failing the test on error.
func ReadAll(t *testing.T, s inbox.Store, user string, after uint64) inbox.Page {
	t.Helper()
	p, err := s.Read(user, after, 1<<20)
	if err != nil {
		t.Fatalf("Read(%s, %d): %v", user, after, err)
	}
	return p
}

// CheckChain fails unless ents are in strictly increasing offset order,
// each one's Prev the offset before it (the first one's Prev is first).
func CheckChain(t *testing.T, ents []inbox.Entry, first uint64) {
	t.Helper()
	prev := first
	for i, e := range ents {
		if e.Prev != prev || e.Offset <= prev {
			t.Fatalf("entry %d: offset %d prev %d, want prev %d and a larger offset", i, e.Offset, e.Prev, prev)
		}
		prev = e.Offset
	}
}

// prune runs the store's pruning now if it can, else waits for it.
func prune(t *testing.T, s inbox.Store, done func() bool) {
	t.Helper()
	if p, ok := s.(interface{ Prune() }); ok {
		p.Prune()
	}
	deadline := time.Now().Add(10 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatal("store did not prune within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func testOrder(t *testing.T, open Open) {
	s := open(t, inbox.Limits{})
	var want []string
	var last uint64
	for i := range 10 {
		for _, u := range []string{"alice", "bob"} {
			p := Append(t, s, u, fmt.Sprintf("%s-%d", u, i))
			if u == "alice" {
				if p.Prev != last || p.Offset <= last {
					t.Fatalf("append %d: %+v after %d", i, p, last)
				}
				last = p.Offset
				want = append(want, fmt.Sprintf("alice-%d", i))
			}
		}
	}
	pos, err := s.Append([]inbox.Record{{User: "alice", Data: []byte("x")}, {User: "alice", Data: []byte("y")}})
	if err != nil || pos[0].Prev != last || pos[1].Prev != pos[0].Offset {
		t.Fatalf("batch append: %+v, %v", pos, err)
	}
	want = append(want, "x", "y")
	p := ReadAll(t, s, "alice", 0)
	if len(p.Entries) != len(want) || p.More || p.Lost || p.Latest != pos[1].Offset {
		t.Fatalf("read: %d entries more=%v lost=%v latest=%d", len(p.Entries), p.More, p.Lost, p.Latest)
	}
	CheckChain(t, p.Entries, 0)
	for i, e := range p.Entries {
		if string(e.Data) != want[i] {
			t.Fatalf("entry %d is %q, want %q", i, e.Data, want[i])
		}
	}
	if l, err := s.Latest("alice"); err != nil || l != pos[1].Offset {
		t.Fatalf("Latest = %d, %v", l, err)
	}
	if l, err := s.Latest("nobody"); err != nil || l != 0 {
		t.Fatalf("Latest(nobody) = %d, %v", l, err)
	}
	if p := ReadAll(t, s, "alice", pos[0].Offset); len(p.Entries) != 1 || string(p.Entries[0].Data) != "y" {
		t.Fatalf("read after %d: %+v", pos[0].Offset, p.Entries)
	}
}

func testPaging(t *testing.T, open Open) {
	s := open(t, inbox.Limits{})
	for i := range 25 {
		Append(t, s, "alice", fmt.Sprint(i))
	}
	var after uint64
	var got []inbox.Entry
	for pages := 0; ; pages++ {
		p, err := s.Read("alice", after, 10)
		if err != nil || pages > 3 {
			t.Fatalf("page %d: %v", pages, err)
		}
		if len(p.Entries) > 10 || (p.More != (len(got)+len(p.Entries) < 25)) {
			t.Fatalf("page %d: %d entries, more=%v", pages, len(p.Entries), p.More)
		}
		got = append(got, p.Entries...)
		if !p.More {
			break
		}
		after = p.Entries[len(p.Entries)-1].Offset
	}
	if len(got) != 25 {
		t.Fatalf("paged %d entries, want 25", len(got))
	}
	CheckChain(t, got, 0)
}

func testMaxEntries(t *testing.T, open Open) {
	s := open(t, inbox.Limits{MaxEntries: 5})
	var pos []inbox.Pos
	for i := range 8 {
		pos = append(pos, Append(t, s, "alice", fmt.Sprint(i)))
	}
	p := ReadAll(t, s, "alice", 0)
	if len(p.Entries) != 5 || string(p.Entries[0].Data) != "3" {
		t.Fatalf("kept %d entries from %q, want the last 5", len(p.Entries), p.Entries[0].Data)
	}
	if p := ReadAll(t, s, "alice", pos[1].Offset); !p.Lost {
		t.Fatal("read from a pruned offset is not lost")
	}
	if p := ReadAll(t, s, "alice", pos[2].Offset); p.Lost || len(p.Entries) != 5 {
		t.Fatalf("read from the last pruned offset: lost=%v, %d entries", p.Lost, len(p.Entries))
	}
	if st := s.Stats(); st.Pruned < 3 || st.Entries != 5 {
		t.Fatalf("stats %+v, want 5 entries, 3 pruned", st)
	}
}

// RealClock is implemented by a store whose retention follows the real
// clock, not Limits.Now (JetStream's MaxAge): the retention check then
// takes a few seconds.
type RealClock interface{ RealClock() }

func testRetention(t *testing.T, open Open) {
	clock := NewClock()
	lim := inbox.Limits{Retention: time.Hour, Now: clock.Now}
	s := open(t, lim)
	advance := clock.Advance
	if _, ok := s.(RealClock); ok {
		s = open(t, inbox.Limits{Retention: 4 * time.Second})
		advance = func(d time.Duration) { time.Sleep(d / (time.Hour / (4 * time.Second))) } // an hour is 4s
	}
	old := Append(t, s, "alice", "old")
	Append(t, s, "bob", "old")
	advance(40 * time.Minute)
	Append(t, s, "alice", "new")
	advance(30 * time.Minute)
	prune(t, s, func() bool { return len(ReadAll(t, s, "alice", 0).Entries) == 1 && s.Stats().Entries == 1 })
	p := ReadAll(t, s, "alice", 0)
	if string(p.Entries[0].Data) != "new" || p.Entries[0].Prev != old.Offset {
		t.Fatalf("kept %q prev %d", p.Entries[0].Data, p.Entries[0].Prev)
	}
	if !ReadAll(t, s, "bob", 1).Lost && !ReadAll(t, s, "alice", 1).Lost {
		t.Fatal("reads from pruned offsets are not lost")
	}
	// bob was forgotten: his next entry still gets a larger offset, and a
	// reader who saw the old one learns that it lost something.
	p2 := Append(t, s, "bob", "again")
	if p2.Offset <= old.Offset {
		t.Fatalf("offset %d reused after pruning", p2.Offset)
	}
}

func testMaxBytes(t *testing.T, open Open) {
	s := open(t, inbox.Limits{MaxBytes: 4000})
	data := string(make([]byte, 100))
	var first inbox.Pos
	for i := range 100 {
		p := Append(t, s, fmt.Sprintf("user%d", i%7), data)
		if i == 0 {
			first = p
		}
	}
	prune(t, s, func() bool { return s.Stats().Bytes <= 4000 })
	st := s.Stats()
	if st.Entries == 0 || st.Entries >= 100 || st.Pruned == 0 {
		t.Fatalf("stats %+v after 100 appends over a 4000-byte bound", st)
	}
	if p := ReadAll(t, s, "user0", first.Offset); !p.Lost {
		t.Fatal("oldest entry not pruned first")
	}
}

func testEpoch(t *testing.T, open Open) {
	s := open(t, inbox.Limits{})
	e := s.Epoch()
	Append(t, s, "alice", "x")
	if e == "" || s.Epoch() != e {
		t.Fatalf("epoch %q then %q", e, s.Epoch())
	}
	if other := open(t, inbox.Limits{}); other.Epoch() == e {
		t.Fatal("two new stores share an epoch")
	}
}

func testCursors(t *testing.T, open Open) {
	s := open(t, inbox.Limits{})
	var last inbox.Pos
	for range 3 {
		last = Append(t, s, "alice", "m")
	}
	for _, tc := range []struct {
		name   string
		device string
		ack    uint64
		want   uint64
	}{
		{name: "first", device: "phone", ack: last.Prev, want: last.Prev},
		{name: "backwards", device: "phone", ack: 1, want: last.Prev},
		{name: "past latest", device: "phone", ack: last.Offset + 100, want: last.Offset},
		{name: "other device", device: "web", ack: 1, want: min(1, last.Offset)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Ack("alice", tc.device, tc.ack)
			if err != nil || got != tc.want {
				t.Fatalf("Ack = %d, %v; want %d", got, err, tc.want)
			}
			if c, err := s.Cursor("alice", tc.device); err != nil || c != tc.want {
				t.Fatalf("Cursor = %d, %v; want %d", c, err, tc.want)
			}
		})
	}
	if c, err := s.Cursor("alice", "tablet"); err != nil || c != 0 {
		t.Fatalf("Cursor of a device that never acked = %d, %v", c, err)
	}
	if c, _ := s.Cursor("bob", "phone"); c != 0 {
		t.Fatalf("bob's cursor = %d", c)
	}
}

func testConcurrent(t *testing.T, open Open) {
	s := open(t, inbox.Limits{MaxEntries: 10_000})
	const writers, each = 16, 50
	testutil.Parallel(t, writers, func(w int) error {
		for i := range each {
			if _, err := s.Append([]inbox.Record{{User: "alice", Data: []byte(fmt.Sprintf("%d-%d", w, i))}}); err != nil {
				return err
			}
		}
		return nil
	})
	p := ReadAll(t, s, "alice", 0)
	if len(p.Entries) != writers*each {
		t.Fatalf("%d entries, want %d", len(p.Entries), writers*each)
	}
	CheckChain(t, p.Entries, 0)
	seen := make(map[string]bool)
	for _, e := range p.Entries {
		if seen[string(e.Data)] {
			t.Fatalf("duplicate %q", e.Data)
		}
		seen[string(e.Data)] = true
	}
}
