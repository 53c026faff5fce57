package gateway

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/engine/wsframe"
)

// loopRooms is one event loop's room table and its queue of room frames
// to deliver. rooms and spare are loop-owned; the queue is guarded by mu
// (held for an append or a swap).
type loopRooms struct {
	ref     engine.LoopRef
	idx     int
	rooms   map[string]*loopRoom
	drainFn func()
	spare   []roomJob
	// timer, with a coalescing window, schedules the drain when the
	// window ends; nil without one.
	timer  *time.Timer
	window time.Duration

	mu        sync.Mutex
	queue     []roomJob
	queued    int  // bytes of the frames in queue
	scheduled bool // a drain task is on its way to the loop

	// Counters; the loop writes, anyone reads.
	memberships atomic.Int64 // memberships of this loop's sessions
	deliveries  atomic.Int64 // room and broadcast frames queued to connections
	dropped     atomic.Int64 // jobs refused because the queue was full
	_           [64]byte
}

// maxLoopBacklog and maxLoopBacklogBytes bound a loop's queue of room
// frames not yet delivered; past either a publish skips that loop (room
// messages are at most once), so a flood of publishes cannot grow memory
// without bound while the loop is busy.
const (
	maxLoopBacklog      = 1 << 16
	maxLoopBacklogBytes = 64 << 20
)

// maxKeptJobs is the largest drained queue a loop keeps for reuse.
const maxKeptJobs = 1 << 10

// loopRoom is one room's members on one loop. Loop only.
type loopRoom struct {
	name    string
	members []*membership
}

// membership is one session in one room; slot is its index in
// room.members, so that leaving is O(1). Loop only.
type membership struct {
	s    *session
	room *loopRoom
	slot int32
}

// roomSet is a session's rooms, behind session.rooms (nil until the
// session joins a room or has a rooms claim). Loop only.
type roomSet struct {
	in    []*membership
	claim []string // the rooms of the token's claim: JOIN may rejoin them
}

// roomJob is one frame for a loop to deliver: to the members of room, or
// to every authenticated session when room is "" (a broadcast), except
// the session from.
type roomJob struct {
	room  string
	frame *wsframe.Frame
	from  *session // compared only; nil for backends
	res   *pubResult
}

// pubResult counts one publish's deliveries over the loops it went to;
// the last loop to finish calls done. Any goroutine.
type pubResult struct {
	left atomic.Int32
	n    atomic.Int64
	done func(n int)
}

func (p *pubResult) add(n int) {
	p.n.Add(int64(n))
	if p.left.Add(-1) == 0 {
		p.done(int(p.n.Load()))
	}
}

func newLoopRooms(ref engine.LoopRef, window time.Duration) *loopRooms {
	lr := &loopRooms{ref: ref, idx: ref.Index(), rooms: make(map[string]*loopRoom), window: window}
	lr.drainFn = lr.drain
	if window > 0 {
		lr.timer = time.AfterFunc(time.Hour, func() { lr.ref.Execute(lr.drainFn) })
		lr.timer.Stop()
	}
	return lr
}

// push queues j for the loop and schedules a drain if none is on its way.
// Any goroutine.
func (lr *loopRooms) push(j roomJob) {
	lr.mu.Lock()
	if len(lr.queue) >= maxLoopBacklog || lr.queued+len(j.frame.Plain()) > maxLoopBacklogBytes {
		lr.mu.Unlock()
		lr.dropped.Add(1)
		if j.res != nil {
			j.res.add(0)
		}
		return
	}
	lr.queue = append(lr.queue, j)
	lr.queued += len(j.frame.Plain())
	schedule := !lr.scheduled
	lr.scheduled = true
	lr.mu.Unlock()
	switch {
	case !schedule:
	case lr.timer != nil:
		lr.timer.Reset(lr.window) // one pending drain: the timer is idle
	default:
		lr.ref.Execute(lr.drainFn)
	}
}

// drain delivers every queued job in order; the engine then flushes each
// touched connection once. Loop only.
func (lr *loopRooms) drain() {
	lr.mu.Lock()
	jobs := lr.queue
	lr.queue, lr.spare, lr.queued = lr.spare, nil, 0
	lr.scheduled = false
	lr.mu.Unlock()
	for i := range jobs {
		lr.run(&jobs[i])
		jobs[i] = roomJob{}
	}
	if cap(jobs) > maxKeptJobs {
		jobs = nil // a burst's queue is not kept for good
	}
	lr.spare = jobs[:0]
}

// run delivers one job. Loop only.
func (lr *loopRooms) run(j *roomJob) {
	n := 0
	if j.room == "" {
		lr.ref.EachConn(func(c *engine.Conn) {
			if s, ok := c.Context().(*session); ok && s.authenticated() && deliverRoomFrame(c, j.frame) {
				n++
			}
		})
	} else if rm := lr.rooms[j.room]; rm != nil {
		for _, m := range rm.members {
			if m.s != j.from && deliverRoomFrame(m.s.conn(), j.frame) {
				n++
			}
		}
	}
	lr.deliveries.Add(int64(n))
	if j.res != nil {
		j.res.add(n)
	}
}

// deliverRoomFrame writes one room or broadcast frame to one member's
// connection, without waking the loop: the drain's end flushes it. It is
// the one place that does so: the connection gets the frame's compressed
// variant when it negotiated permessage-deflate (built once per message,
// whichever loop needs it first), else the plain one. Loop only.
func deliverRoomFrame(c *engine.Conn, f *wsframe.Frame) bool {
	return c.QueueFrame(f)
}

// add puts s into room on this loop; it reports whether the room had no
// member on the loop before. Loop only.
func (lr *loopRooms) add(s *session, room string) (*membership, bool) {
	rm := lr.rooms[room]
	if rm == nil {
		rm = &loopRoom{name: room}
		lr.rooms[room] = rm
	}
	m := &membership{s: s, room: rm, slot: int32(len(rm.members))}
	rm.members = append(rm.members, m)
	lr.memberships.Add(1)
	return m, len(rm.members) == 1
}

// remove takes m out of its room; it reports whether the room has no
// member left on the loop (it is then gone from the table). Loop only.
func (lr *loopRooms) remove(m *membership) bool {
	rm := m.room
	last := len(rm.members) - 1
	moved := rm.members[last]
	rm.members[m.slot], moved.slot = moved, m.slot
	rm.members[last] = nil
	rm.members = rm.members[:last]
	lr.memberships.Add(-1)
	m.s, m.room = nil, nil
	if last == 0 {
		delete(lr.rooms, rm.name)
		return true
	}
	if c := cap(rm.members); c > 64 && last < c/4 { // give memory back after a crowd left
		rm.members = append(make([]*membership, 0, 2*last), rm.members...)
	}
	return false
}
