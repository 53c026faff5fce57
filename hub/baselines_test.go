package hub

import (
	"sync"

	"github.com/imgate/gateway/engine/wsframe"
)

// The two baselines below share table (the shard map) with Hub and differ
// only in how an op reaches it. They are benchmark baselines, not product
// code.

// dispatcher is what BenchmarkDispatch drives.
type dispatcher interface {
	Add(m *Member)
	Deliver(userID string, frame *wsframe.Frame, except *Member, done func(n int))
	SessionCount() int64
	Close()
}

var (
	_ dispatcher = (*Hub)(nil)
	_ dispatcher = (*chanTable)(nil)
	_ dispatcher = (*mutexTable)(nil)
)

// chanTable feeds the same per-shard owner goroutines over buffered
// channels of op values (the idiomatic Go design: no node allocation).
type chanTable struct {
	shards []chanShard
	mask   uint32
	owners sync.WaitGroup
	stats  stats
}

type request struct {
	kind  opKind
	user  string
	m     *Member
	frame *wsframe.Frame
	done  func(int)
}

type chanShard struct {
	ch    chan request
	table table
}

const chanDepth = 1024

func newChanTable(shards int) *chanTable {
	c := &chanTable{shards: make([]chanShard, shards), mask: uint32(shards - 1)}
	c.owners.Add(shards)
	for i := range c.shards {
		s := &c.shards[i]
		s.ch = make(chan request, chanDepth)
		s.table = newTable(&c.stats)
		go s.run(&c.owners)
	}
	return c
}

func (s *chanShard) run(wg *sync.WaitGroup) {
	defer wg.Done()
	for r := range s.ch {
		switch r.kind {
		case opAdd:
			s.table.add(r.m)
		case opDeliver:
			n, _ := s.table.deliver(r.user, r.frame, r.m)
			if r.done != nil {
				r.done(n)
			}
		}
	}
}

func (c *chanTable) shard(user string) *chanShard { return &c.shards[hashString(user)&c.mask] }

func (c *chanTable) Add(m *Member) {
	c.shard(m.UserID).ch <- request{kind: opAdd, user: m.UserID, m: m}
}

func (c *chanTable) Deliver(user string, frame *wsframe.Frame, except *Member, done func(int)) {
	c.shard(user).ch <- request{kind: opDeliver, user: user, frame: frame, m: except, done: done}
}

func (c *chanTable) SessionCount() int64 { return c.stats.sessions.Load() }

func (c *chanTable) Close() {
	for i := range c.shards {
		close(c.shards[i].ch)
	}
	c.owners.Wait()
}

// mutexTable guards each shard with a sync.Mutex; callers do the work inline
// on their own goroutine.
type mutexTable struct {
	shards []mutexShard
	mask   uint32
	stats  stats
}

type mutexShard struct {
	mu    sync.Mutex
	table table // guarded by mu
	_     [cacheLine]byte
}

func newMutexTable(shards int) *mutexTable {
	t := &mutexTable{shards: make([]mutexShard, shards), mask: uint32(shards - 1)}
	for i := range t.shards {
		t.shards[i].table = newTable(&t.stats)
	}
	return t
}

func (t *mutexTable) shard(user string) *mutexShard { return &t.shards[hashString(user)&t.mask] }

func (t *mutexTable) Add(m *Member) {
	s := t.shard(m.UserID)
	s.mu.Lock()
	s.table.add(m)
	s.mu.Unlock()
}

func (t *mutexTable) Deliver(user string, frame *wsframe.Frame, except *Member, done func(int)) {
	s := t.shard(user)
	s.mu.Lock()
	n, _ := s.table.deliver(user, frame, except)
	s.mu.Unlock()
	if done != nil {
		done(n)
	}
}

func (t *mutexTable) SessionCount() int64 { return t.stats.sessions.Load() }

func (t *mutexTable) Close() {}
