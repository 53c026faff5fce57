package gateway

import (
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imgate/gateway/engine"
)

// Rooms (PROTOCOL.md §7). Membership is owned where it is used: each event
// loop keeps its own table room → member sessions (loopRooms), touched
// only on that loop, so JOIN and LEAVE, which arrive on the session's loop,
// take no lock. A node-wide directory (roomDir) says which loops have
// members of a room; it changes only when a loop's member count of a room
// goes 0↔1. A publisher encodes the 3101 frame once, reads the directory
// and hands the frame to each of those loops' FIFO queues (one hand-off per
// loop); one drain task per loop appends it to every local member's write
// queue and the engine flushes each touched connection once per drain.
// ARCHITECTURE.md, "One room message, socket to sockets", has the route.

// RoomsConfig configures rooms. The zero value: no open rooms (JOIN works
// for the token's claimed rooms only), no read-only rooms, at most 64
// rooms per session.
type RoomsConfig struct {
	// Open are the patterns of rooms any authenticated session may JOIN
	// ("*" matches any run of characters): -rooms-open.
	Open []string
	// ReadOnly are the patterns of rooms only backends publish to:
	// -rooms-readonly.
	ReadOnly []string
	// MaxPerSession caps the rooms of one session (default 64):
	// -max-rooms-per-session.
	MaxPerSession int
	// Coalesce, when positive, is how long a loop waits after the first
	// room message of a batch before it delivers the batch, so that at
	// high rates several messages share one write per connection
	// (-fanout-coalesce; default 0: deliver at once).
	Coalesce time.Duration
}

// ParsePatterns splits a comma-separated flag value into patterns,
// dropping empty ones.
func ParsePatterns(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// matchAny reports whether name matches one of patterns.
func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if matchPattern(p, name) {
			return true
		}
	}
	return false
}

// matchPattern reports whether name matches p, where '*' matches any run
// of characters (empty included) and every other byte itself.
func matchPattern(p, name string) bool {
	star, back := -1, 0 // last '*' in p and the name position it matched up to
	i, j := 0, 0
	for j < len(name) {
		switch {
		case i < len(p) && p[i] == '*':
			star, back = i, j
			i++
		case i < len(p) && p[i] == name[j]:
			i++
			j++
		case star >= 0:
			back++
			i, j = star+1, back
		default:
			return false
		}
	}
	for i < len(p) && p[i] == '*' {
		i++
	}
	return i == len(p)
}

// rooms is the gateway's room state. Any goroutine, unless a method says
// otherwise.
type rooms struct {
	cfg   RoomsConfig
	dir   roomDir
	mu    sync.Mutex                   // guards growing loops
	loops atomic.Pointer[[]*loopRooms] // by loop index; an entry is nil until the loop's first connection
	// onInterest, when set, runs when the node gets its first member of a
	// room (true) or loses its last (false), on the loop that caused it,
	// under the directory shard's lock: it must not block (the cluster's
	// interest wishes).
	onInterest func(room string, on bool)
}

func (r *rooms) init(cfg RoomsConfig) {
	if cfg.MaxPerSession <= 0 {
		cfg.MaxPerSession = 64
	}
	r.cfg = cfg
	r.dir.init()
	empty := []*loopRooms{}
	r.loops.Store(&empty)
}

// loopOf returns the room table of c's loop, creating it on first use. Any
// goroutine (the table itself is loop-owned).
func (r *rooms) loopOf(c *engine.Conn) *loopRooms {
	i := c.Loop()
	if all := *r.loops.Load(); i < len(all) && all[i] != nil {
		return all[i]
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	all := *r.loops.Load()
	if i < len(all) && all[i] != nil {
		return all[i]
	}
	grown := make([]*loopRooms, max(len(all), i+1))
	copy(grown, all)
	lr := newLoopRooms(c.LoopRef(), r.cfg.Coalesce)
	grown[i] = lr
	r.loops.Store(&grown)
	return lr
}

// loopAt returns the table of loop i, or nil. Any goroutine.
func (r *rooms) loopAt(i int) *loopRooms {
	if all := *r.loops.Load(); i < len(all) {
		return all[i]
	}
	return nil
}

// allLoops returns every loop's table known so far. Any goroutine.
func (r *rooms) allLoops() []*loopRooms { return *r.loops.Load() }

// roomDir is the node's directory: room → the loops with members. It is
// sharded by a hash of the name; each shard's lock is held for a map
// operation and a short slice edit. Lock order: a shard, then (in
// onInterest) the bus's interest set; nothing takes a shard while holding
// another lock.
type roomDir struct {
	seed   maphash.Seed
	shards [dirShards]dirShard
	count  atomic.Int64 // rooms with a member on this node
}

const dirShards = 64 // a power of two

type dirShard struct {
	mu sync.Mutex
	m  map[string][]int32 // room → indexes of the loops with members
	_  [40]byte
}

func (d *roomDir) init() {
	d.seed = maphash.MakeSeed()
	for i := range d.shards {
		d.shards[i].m = make(map[string][]int32)
	}
}

func (d *roomDir) shard(room string) *dirShard {
	return &d.shards[maphash.String(d.seed, room)&(dirShards-1)]
}

// add records that loop has members of room now; onFirst runs, under the
// shard's lock, when the node had none before.
func (d *roomDir) add(room string, loop int, onFirst func()) {
	sh := d.shard(room)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	loops, ok := sh.m[room]
	sh.m[room] = append(loops, int32(loop))
	if !ok {
		d.count.Add(1)
		if onFirst != nil {
			onFirst()
		}
	}
}

// remove records that loop has no member of room any more; onLast runs,
// under the shard's lock, when the node has none left.
func (d *roomDir) remove(room string, loop int, onLast func()) {
	sh := d.shard(room)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	loops := sh.m[room]
	for i, l := range loops {
		if l == int32(loop) {
			loops[i] = loops[len(loops)-1]
			loops = loops[:len(loops)-1]
			break
		}
	}
	if len(loops) > 0 {
		sh.m[room] = loops
		return
	}
	delete(sh.m, room)
	d.count.Add(-1)
	if onLast != nil {
		onLast()
	}
}

// loops appends the loops with members of room to dst.
func (d *roomDir) loops(dst []int32, room string) []int32 {
	sh := d.shard(room)
	sh.mu.Lock()
	dst = append(dst, sh.m[room]...)
	sh.mu.Unlock()
	return dst
}
