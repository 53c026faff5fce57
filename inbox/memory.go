package inbox

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Memory is a Store in this process's memory. It holds at most
// Limits.MaxBytes (entries' data, user IDs and 48 bytes each): users are
// spread by hash over up to 64 shards, one per MiB of MaxBytes, each with
// its own mutex and an even share of MaxBytes; past its share a shard
// prunes its oldest entries first, as it does for retention. A restart
// loses everything and changes the epoch. Every operation under a shard's
// mutex is short and never waits for anything else.
type Memory struct {
	lim       Limits
	epoch     string
	stats     counters
	seq       atomic.Uint64 // last offset handed out
	forgotten atomic.Uint64 // highest offset of a user record dropped when emptied
	closed    atomic.Bool
	stop      chan struct{}
	wg        sync.WaitGroup
	shards    []memShard
	budget    int64 // MaxBytes per shard
}

// memShard is one slice of the users. Its fields are guarded by mu.
type memShard struct {
	mu    sync.Mutex
	users map[string]*memUser
	fifo  []memRef // every entry in append order from head; stale refs are skipped
	head  int
	bytes int64
	_     [64]byte
}

type memUser struct {
	ents    []memEntry
	last    uint64 // latest offset, even if pruned
	floor   uint64 // highest pruned offset (or the forgotten mark at creation)
	cursors map[string]uint64
}

type memEntry struct {
	off, prev uint64
	at        int64 // unix nanoseconds
	data      []byte
}

type memRef struct {
	user string
	off  uint64
}

var _ Store = (*Memory)(nil)

const maxMemShards = 64

// NewMemory returns an empty Memory store with a new epoch. It runs one
// goroutine that prunes by retention every second; Close stops it.
func NewMemory(lim Limits) *Memory {
	lim = lim.withDefaults()
	n := int(min(max(lim.MaxBytes>>20, 1), maxMemShards))
	m := &Memory{lim: lim, epoch: newEpoch(), stop: make(chan struct{}), shards: make([]memShard, n),
		budget: lim.MaxBytes / int64(n)}
	for i := range m.shards {
		m.shards[i].users = make(map[string]*memUser)
	}
	m.wg.Add(1)
	go m.sweep()
	return m
}

func (m *Memory) shard(user string) *memShard {
	return &m.shards[hashUser32(user)%uint32(len(m.shards))]
}

func (m *Memory) sweep() {
	defer m.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.Prune()
		}
	}
}

// Prune applies retention and MaxBytes now (it also runs every second).
func (m *Memory) Prune() {
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		if !m.closed.Load() {
			m.pruneLocked(s)
		}
		s.mu.Unlock()
	}
}

// Append implements Store.
func (m *Memory) Append(recs []Record) ([]Pos, error) {
	if err := checkRecords(recs); err != nil {
		return nil, err
	}
	now := m.lim.Now().UnixNano()
	pos := make([]Pos, len(recs))
	for i, r := range recs {
		s := m.shard(r.User)
		s.mu.Lock()
		if m.closed.Load() {
			s.mu.Unlock()
			return nil, ErrClosed
		}
		u := m.userLocked(s, r.User)
		off := m.seq.Add(1)
		pos[i] = Pos{Offset: off, Prev: u.last}
		u.ents = append(u.ents, memEntry{off: off, prev: u.last, at: now, data: slices.Clone(r.Data)})
		u.last = off
		s.fifo = append(s.fifo, memRef{user: r.User, off: off})
		size := entrySize(r.User, r.Data)
		s.bytes += size
		m.stats.bytes.Add(size)
		for len(u.ents) > m.lim.MaxEntries {
			m.dropFirstLocked(s, r.User, u)
		}
		if s.bytes > m.budget {
			m.pruneLocked(s)
		}
		s.mu.Unlock()
	}
	m.stats.entries.Add(int64(len(recs)))
	m.stats.appends.Add(int64(len(recs)))
	return pos, nil
}

func (m *Memory) userLocked(s *memShard, user string) *memUser {
	u := s.users[user]
	if u == nil {
		u = &memUser{floor: m.forgotten.Load()} // its prev chain starts at 0
		s.users[user] = u
	}
	return u
}

// dropFirstLocked prunes u's oldest entry; an emptied user without cursors
// is forgotten.
func (m *Memory) dropFirstLocked(s *memShard, user string, u *memUser) {
	e := u.ents[0]
	u.ents[0] = memEntry{}
	u.ents = u.ents[1:]
	u.floor = e.off
	size := entrySize(user, e.data)
	s.bytes -= size
	m.stats.bytes.Add(-size)
	m.stats.entries.Add(-1)
	m.stats.pruned.Add(1)
	if len(u.ents) == 0 && len(u.cursors) == 0 {
		for f := m.forgotten.Load(); f < u.last && !m.forgotten.CompareAndSwap(f, u.last); f = m.forgotten.Load() {
		}
		delete(s.users, user)
	}
}

// pruneLocked drops s's oldest entries, whoever's they are, while s is
// over its share of MaxBytes or they are older than Retention.
func (m *Memory) pruneLocked(s *memShard) {
	cut := m.lim.Now().Add(-m.lim.Retention).UnixNano()
	for s.head < len(s.fifo) {
		ref := s.fifo[s.head]
		u := s.users[ref.user]
		if u != nil && len(u.ents) > 0 && u.ents[0].off == ref.off {
			if s.bytes <= m.budget && u.ents[0].at > cut {
				break
			}
			m.dropFirstLocked(s, ref.user, u)
		}
		s.fifo[s.head] = memRef{}
		s.head++
	}
	if s.head > 1024 && s.head*2 > len(s.fifo) { // compact the consumed half
		s.fifo = append(s.fifo[:0], s.fifo[s.head:]...)
		s.head = 0
	}
}

// Read implements Store.
func (m *Memory) Read(user string, after uint64, limit int) (Page, error) {
	s := m.shard(user)
	s.mu.Lock()
	defer s.mu.Unlock()
	if m.closed.Load() {
		return Page{}, ErrClosed
	}
	u := s.users[user]
	if u == nil {
		return Page{Lost: after > 0 && after < m.forgotten.Load()}, nil
	}
	p := Page{Latest: u.last, Lost: after > 0 && after < u.floor}
	i, _ := slices.BinarySearchFunc(u.ents, after+1, func(e memEntry, off uint64) int {
		return cmpU64(e.off, off)
	})
	for ; i < len(u.ents); i++ {
		if len(p.Entries) == limit {
			p.More = true
			break
		}
		e := u.ents[i]
		p.Entries = append(p.Entries, Entry{Offset: e.off, Prev: e.prev, Data: slices.Clone(e.data)})
	}
	return p, nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Latest implements Store.
func (m *Memory) Latest(user string) (uint64, error) {
	s := m.shard(user)
	s.mu.Lock()
	defer s.mu.Unlock()
	if m.closed.Load() {
		return 0, ErrClosed
	}
	if u := s.users[user]; u != nil {
		return u.last, nil
	}
	return 0, nil
}

// Epoch implements Store.
func (m *Memory) Epoch() string { return m.epoch }

// Ack implements Store.
func (m *Memory) Ack(user, device string, offset uint64) (uint64, error) {
	s := m.shard(user)
	s.mu.Lock()
	defer s.mu.Unlock()
	if m.closed.Load() {
		return 0, ErrClosed
	}
	u := m.userLocked(s, user)
	if u.cursors == nil {
		u.cursors = make(map[string]uint64)
	}
	c := max(u.cursors[device], min(offset, u.last))
	u.cursors[device] = c
	return c, nil
}

// Cursor implements Store.
func (m *Memory) Cursor(user, device string) (uint64, error) {
	s := m.shard(user)
	s.mu.Lock()
	defer s.mu.Unlock()
	if m.closed.Load() {
		return 0, ErrClosed
	}
	if u := s.users[user]; u != nil {
		return u.cursors[device], nil
	}
	return 0, nil
}

// Stats implements Store.
func (m *Memory) Stats() Stats { return m.stats.stats() }

// Close implements Store.
func (m *Memory) Close() error {
	if m.closed.Swap(true) {
		return nil
	}
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		s.users, s.fifo = nil, nil
		s.mu.Unlock()
	}
	close(m.stop)
	m.wg.Wait()
	return nil
}
