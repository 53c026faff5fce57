package hub

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Owner states.
const (
	running int32 = iota
	parked
)

const (
	// yieldBacklog is the shard backlog above which a producer yields its
	// processor after enqueueing, so that CPU-bound producers cannot starve
	// the owners and pile up cold ops (soft backpressure; nothing waits).
	yieldBacklog = 512
	// reportEvery is how many ops an owner runs between backlog updates.
	reportEvery = 64
)

// shard is one slice of the table with its queue and owner goroutine.
//
// No-lost-wakeup argument (all atomics are sequentially consistent):
// the owner parks by storing parked, trying pop once more, and only then
// blocking on wake. A producer pushes (swap head, store the link to its
// node) and then loads state; if it reads parked and wins the CAS back to
// running, it sends one token on wake.
//
// If the owner's last pop returned nil, it read a nil link that some
// producer P stores later (or no node is pending at all). The owner's load
// of that link follows its store of parked, and P's load of state follows
// its store of the link, so P reads parked and wakes the owner (or another
// producer already did). P's node, and everything behind it, is drained
// after the wake.
//
// Tokens: one is sent only by the producer whose CAS ended a parked period,
// and the owner takes exactly one for every parked period that it did not
// end itself with its own CAS. The 1-buffered channel therefore never holds
// more than one token and a producer's send never blocks.
type shard struct {
	q     mpsc
	state atomic.Int32
	wake  chan struct{}
	table table
	free  recycler
	ran   int64 // ops run since the last backlog report; owner only
	// delivered and dropped count the frames Send accepted and refused;
	// only the owner writes them.
	delivered, dropped atomic.Int64
	_                  [cacheLine]byte
}

func (s *shard) init(st *stats, onPresence func(string, bool)) {
	s.q.init()
	s.wake = make(chan struct{}, 1)
	s.table = newTable(st)
	s.table.presence = onPresence
}

// enqueue pushes o, wakes the owner if it is parked, and yields the
// processor if the owner is far behind. Goroutine-safe.
func (s *shard) enqueue(o *op) {
	backlog := s.q.push(o)
	if s.state.Load() == parked && s.state.CompareAndSwap(parked, running) {
		s.wake <- struct{}{}
	}
	if backlog > yieldBacklog {
		runtime.Gosched()
	}
}

// run is the owner goroutine: it executes ops until it meets opStop.
func (s *shard) run(wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		o := s.q.pop()
		if o == nil {
			s.report()
			if o = s.park(); o == nil {
				continue
			}
		}
		if !s.exec(o) {
			return
		}
		if s.ran++; s.ran == reportEvery {
			s.report()
		}
	}
}

// report publishes the ops run since the last report to the backlog.
func (s *shard) report() {
	if s.ran != 0 {
		s.q.done(s.ran)
		s.ran = 0
	}
}

// park announces that the owner is about to sleep, tries one more pop and
// sleeps only if that finds nothing. It returns the op found, or nil after a
// wake-up.
func (s *shard) park() *op {
	s.state.Store(parked)
	if o := s.q.pop(); o != nil {
		if !s.state.CompareAndSwap(parked, running) {
			<-s.wake // a producer ended this parked period and owes a token
		}
		return o
	}
	<-s.wake
	return nil
}

// exec runs one op on the owner goroutine and recycles it. It returns false
// for opStop.
func (s *shard) exec(o *op) bool {
	switch o.kind {
	case opAdd:
		s.table.add(o.m)
	case opRemove:
		s.table.remove(o.m)
	case opDeliver:
		n, refused := s.table.deliver(o.user, o.frame, o.m)
		s.count(n, refused)
		if done := o.done; done != nil {
			s.free.put(o)
			done(n)
			return true
		}
	case opSessions:
		o.fn(s.table.members(o.user))
		s.table.releaseMembers()
	case opStop:
		return false
	}
	s.free.put(o)
	return true
}
