package hub

import (
	"sync/atomic"

	"github.com/imgate/gateway/engine/wsframe"
)

// stats holds the counters that owners update and anyone may read.
type stats struct {
	users    atomic.Int64
	sessions atomic.Int64
}

// table is one shard's user → sessions map. It is not goroutine-safe: only
// the shard's owner touches it.
//
// A user's sessions are a list linked through Member.next, oldest first:
// the index holds the first, so that one user costs one pointer-sized
// slot and no separate slice (BENCHMARKS.md, "Memory per connection").
type table struct {
	users    userIndex
	scratch  []*Member // members' result, reused: see members
	stats    *stats
	presence func(user string, present bool) // Config.OnPresence; may be nil
}

func newTable(st *stats) table {
	return table{users: newUserIndex(), stats: st}
}

// add appends m to its user's sessions; adding the same pointer twice is a
// no-op.
func (t *table) add(m *Member) {
	first := t.users.get(m.UserID)
	if first == nil {
		m.next = nil
		t.users.insert(m)
		t.stats.sessions.Add(1)
		t.stats.users.Add(1)
		if t.presence != nil {
			t.presence(m.UserID, true)
		}
		return
	}
	last := first
	for o := first; o != nil; o = o.next {
		if o == m {
			return
		}
		last = o
	}
	m.next = nil
	last.next = m
	t.stats.sessions.Add(1)
}

// remove drops exactly the pointer m, keeping the order of the others.
func (t *table) remove(m *Member) {
	i := t.users.find(m.UserID)
	if i < 0 {
		return
	}
	first := t.users.slots[i]
	if first == m {
		t.stats.sessions.Add(-1)
		if m.next != nil {
			t.users.slots[i], m.next = m.next, nil
			return
		}
		t.users.removeAt(i)
		t.stats.users.Add(-1)
		if t.presence != nil {
			t.presence(m.UserID, false)
		}
		return
	}
	for o := first; o != nil; o = o.next {
		if o.next == m {
			o.next, m.next = m.next, nil
			t.stats.sessions.Add(-1)
			return
		}
	}
}

// deliver sends frame to every session of user except the member except and
// returns how many accepted it and how many refused it.
func (t *table) deliver(user string, frame *wsframe.Frame, except *Member) (n, refused int) {
	for m := t.users.get(user); m != nil; m = m.next {
		switch {
		case m == except:
		case m.Conn.Send(frame):
			n++
		default:
			refused++
		}
	}
	return n, refused
}

// members returns user's sessions, oldest first (nil if none). The slice
// is the table's scratch space: it is valid only until releaseMembers and
// must not be retained.
func (t *table) members(user string) []*Member {
	first := t.users.get(user)
	if first == nil {
		return nil
	}
	t.scratch = t.scratch[:0]
	for m := first; m != nil; m = m.next {
		t.scratch = append(t.scratch, m)
	}
	return t.scratch
}

// releaseMembers forgets the pointers that members returned, so that the
// scratch space keeps no removed session reachable.
func (t *table) releaseMembers() {
	clear(t.scratch)
	t.scratch = t.scratch[:0]
}
