package hub

import (
	"slices"
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
type table struct {
	users    map[string][]*Member
	stats    *stats
	presence func(user string, present bool) // Config.OnPresence; may be nil
}

func newTable(st *stats) table {
	return table{users: make(map[string][]*Member), stats: st}
}

// add appends m to its user's sessions; adding the same pointer twice is a
// no-op.
func (t *table) add(m *Member) {
	ms := t.users[m.UserID]
	if slices.Contains(ms, m) {
		return
	}
	t.users[m.UserID] = append(ms, m)
	t.stats.sessions.Add(1)
	if len(ms) == 0 {
		t.stats.users.Add(1)
		if t.presence != nil {
			t.presence(m.UserID, true)
		}
	}
}

// remove drops exactly the pointer m, keeping the order of the others.
func (t *table) remove(m *Member) {
	ms := t.users[m.UserID]
	i := slices.Index(ms, m)
	if i < 0 {
		return
	}
	t.stats.sessions.Add(-1)
	if len(ms) == 1 {
		delete(t.users, m.UserID)
		t.stats.users.Add(-1)
		if t.presence != nil {
			t.presence(m.UserID, false)
		}
		return
	}
	t.users[m.UserID] = slices.Delete(ms, i, i+1)
}

// deliver sends frame to every session of user except the member except and
// returns how many accepted it and how many refused it.
func (t *table) deliver(user string, frame *wsframe.Frame, except *Member) (n, refused int) {
	for _, m := range t.users[user] {
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

// members returns user's sessions (nil if none); the slice is the table's
// own and must not be retained.
func (t *table) members(user string) []*Member {
	return t.users[user]
}
