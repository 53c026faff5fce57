package hub

import (
	"sync"
	"sync/atomic"

	"github.com/imgate/gateway/engine/wsframe"
)

// DefaultShards is the shard count used when Config.Shards is zero.
const DefaultShards = 64

// MaxShards bounds Config.Shards (each shard has its own goroutine).
const MaxShards = 1 << 12

// Config configures a [Hub]. The zero value is usable.
type Config struct {
	// Shards is the number of shards and owner goroutines: a power of two
	// up to MaxShards; zero means DefaultShards.
	Shards int
	// OnPresence, when set, is called with present=true when a user gets its
	// first session and with present=false when its last session leaves.
	// Calls for one user alternate, starting with true. It runs on the
	// user's shard owner: it must not block (enqueue and return); it may
	// call Hub methods. The cluster bus uses it to follow users' interest.
	OnPresence func(userID string, present bool)
}

// Hub is the sharded connection table. Create it with [New]; all methods
// are goroutine-safe.
type Hub struct {
	shards []shard
	mask   uint32
	closed atomic.Bool
	owners sync.WaitGroup
	stats  stats
}

// New validates cfg and starts one owner goroutine per shard. Call Close to
// stop them.
func New(cfg Config) (*Hub, error) {
	n := cfg.Shards
	if n == 0 {
		n = DefaultShards
	}
	if n < 0 || n > MaxShards || n&(n-1) != 0 {
		return nil, ErrShards
	}
	h := &Hub{shards: make([]shard, n), mask: uint32(n - 1)}
	h.owners.Add(n)
	for i := range h.shards {
		s := &h.shards[i]
		s.init(&h.stats, cfg.OnPresence)
		go s.run(&h.owners)
	}
	return h, nil
}

// Close runs every operation issued before it was called, stops the owner
// goroutines and waits for them to exit. Operations issued after Close has
// been called are dropped without their callbacks. Close may be called more
// than once and from any goroutine; every call waits.
func (h *Hub) Close() {
	if h.closed.CompareAndSwap(false, true) {
		for i := range h.shards {
			h.shards[i].enqueue(&op{kind: opStop})
		}
	}
	h.owners.Wait()
}

// Add inserts m into its user's sessions. Adding the same pointer twice is a
// no-op. m must not be nil and must not change afterwards.
func (h *Hub) Add(m *Member) {
	h.enqueueMember(m.UserID, opAdd, m)
}

// Remove deletes exactly the member m (compared by pointer) from its user's
// sessions; other members of that user are untouched. Unknown members are
// ignored.
func (h *Hub) Remove(m *Member) {
	h.enqueueMember(m.UserID, opRemove, m)
}

// Deliver calls Send(frame) on every session of userID except the member
// except (which may be nil), on the owner goroutine, and then calls done with
// the number of sessions whose Send returned true (0 for an unknown user).
// done may be nil; it runs on the owner goroutine and must not block. frame
// is shared by all recipients and must not be modified afterwards.
func (h *Hub) Deliver(userID string, frame *wsframe.Frame, except *Member, done func(n int)) {
	if h.closed.Load() {
		return
	}
	o := getOp()
	o.kind, o.user, o.frame, o.m, o.done = opDeliver, userID, frame, except, done
	h.shard(userID).enqueue(o)
}

// Sessions runs fn on the owner goroutine with userID's current sessions, in
// the order they were added (nil for an unknown user). fn must not block,
// modify the slice or retain it after returning.
func (h *Hub) Sessions(userID string, fn func([]*Member)) {
	if h.closed.Load() {
		return
	}
	o := getOp()
	o.kind, o.user, o.fn = opSessions, userID, fn
	h.shard(userID).enqueue(o)
}

// UserCount is the number of users with at least one session.
func (h *Hub) UserCount() int64 { return h.stats.users.Load() }

// SessionCount is the number of sessions in the table.
func (h *Hub) SessionCount() int64 { return h.stats.sessions.Load() }

// Backlog is the number of operations queued or running and not yet
// accounted as run, summed over shards. Owners publish their progress every
// few dozen ops and before they park, so it is approximate while they are
// busy and exact (zero) when they are idle. It is meant for metrics and
// overload decisions.
func (h *Hub) Backlog() int64 {
	var n int64
	for i := range h.shards {
		n += h.shards[i].q.backlog.Load()
	}
	return n
}

// Shards is the number of shards.
func (h *Hub) Shards() int { return len(h.shards) }

func (h *Hub) enqueueMember(user string, kind opKind, m *Member) {
	if h.closed.Load() {
		return
	}
	o := getOp()
	o.kind, o.m = kind, m
	h.shard(user).enqueue(o)
}

func (h *Hub) shard(user string) *shard {
	return &h.shards[hashString(user)&h.mask]
}

// hashString is 32-bit FNV-1a with the high half folded into the low half:
// FNV's low bits depend only on the low bits of each byte, and the shard
// index is taken from the low bits.
func hashString(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h ^ h>>16
}
