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
// the map holds the first, so that one user costs one map slot of a key
// and a pointer and no separate slice (BENCHMARKS.md, "Memory per
// connection").
type table struct {
	users    map[string]*Member
	scratch  []*Member // members' result, reused: see members
	stats    *stats
	presence func(user string, present bool) // Config.OnPresence; may be nil
}

func newTable(st *stats) table {
	return table{users: make(map[string]*Member), stats: st}
}

// add appends m to its user's sessions; adding the same pointer twice is a
// no-op.
func (t *table) add(m *Member) {
	first := t.users[m.UserID]
	if first == nil {
		m.next = nil
		t.users[m.UserID] = m
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
	first := t.users[m.UserID]
	if first == m {
		t.stats.sessions.Add(-1)
		if m.next != nil {
			t.users[m.UserID], m.next = m.next, nil
			return
		}
		delete(t.users, m.UserID)
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
	for m := t.users[user]; m != nil; m = m.next {
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
	first := t.users[user]
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
