package inbox

import (
	"slices"
	"sync"
	"time"
)

// Memory is a Store in this process's memory. It holds at most
// Limits.MaxBytes (entries' data, user IDs and 48 bytes each); past it
// the oldest entries of any user are pruned first, as for retention. A
// restart loses everything and changes the epoch. One mutex guards it;
// every operation under it is short and never waits for anything else.
type Memory struct {
	lim   Limits
	epoch string
	stats counters
	stop  chan struct{}
	wg    sync.WaitGroup

	mu        sync.Mutex
	closed    bool
	seq       uint64 // last offset handed out
	forgotten uint64 // highest offset of a user record dropped when emptied
	users     map[string]*memUser
	fifo      []memRef // every entry in append order; stale refs are skipped
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

// NewMemory returns an empty Memory store with a new epoch. It runs one
// goroutine that prunes by retention every second; Close stops it.
func NewMemory(lim Limits) *Memory {
	m := &Memory{lim: lim.withDefaults(), epoch: newEpoch(), stop: make(chan struct{}), users: make(map[string]*memUser)}
	m.wg.Add(1)
	go m.sweep()
	return m
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
			m.mu.Lock()
			m.pruneLocked()
			m.mu.Unlock()
		}
	}
}

// Append implements Store.
func (m *Memory) Append(recs []Record) ([]Pos, error) {
	if err := checkRecords(recs); err != nil {
		return nil, err
	}
	now := m.lim.Now().UnixNano()
	pos := make([]Pos, len(recs))
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	for i, r := range recs {
		u := m.userLocked(r.User)
		m.seq++
		pos[i] = Pos{Offset: m.seq, Prev: u.last}
		u.ents = append(u.ents, memEntry{off: m.seq, prev: u.last, at: now, data: slices.Clone(r.Data)})
		u.last = m.seq
		m.fifo = append(m.fifo, memRef{user: r.User, off: m.seq})
		m.stats.entries.Add(1)
		m.stats.bytes.Add(entrySize(r.User, r.Data))
		for len(u.ents) > m.lim.MaxEntries {
			m.dropFirstLocked(r.User, u)
		}
	}
	m.stats.appends.Add(int64(len(recs)))
	m.pruneLocked()
	return pos, nil
}

func (m *Memory) userLocked(user string) *memUser {
	u := m.users[user]
	if u == nil {
		u = &memUser{floor: m.forgotten} // its prev chain starts at 0
		m.users[user] = u
	}
	return u
}

// dropFirstLocked prunes u's oldest entry; an emptied user without cursors
// is forgotten.
func (m *Memory) dropFirstLocked(user string, u *memUser) {
	e := u.ents[0]
	u.ents[0] = memEntry{}
	u.ents = u.ents[1:]
	u.floor = e.off
	m.stats.entries.Add(-1)
	m.stats.bytes.Add(-entrySize(user, e.data))
	m.stats.pruned.Add(1)
	if len(u.ents) == 0 && len(u.cursors) == 0 {
		m.forgotten = max(m.forgotten, u.last)
		delete(m.users, user)
	}
}

// pruneLocked drops the oldest entries, whoever's they are, while the
// store is over MaxBytes or they are older than Retention.
func (m *Memory) pruneLocked() {
	cut := m.lim.Now().Add(-m.lim.Retention).UnixNano()
	for len(m.fifo) > 0 {
		ref := m.fifo[0]
		u := m.users[ref.user]
		if u == nil || len(u.ents) == 0 || u.ents[0].off != ref.off {
			m.fifo = m.fifo[1:] // already pruned by the per-user cap
			continue
		}
		if m.stats.bytes.Load() <= m.lim.MaxBytes && u.ents[0].at > cut {
			return
		}
		m.fifo = m.fifo[1:]
		m.dropFirstLocked(ref.user, u)
	}
}

// Prune applies retention and MaxBytes now (it also runs every second).
func (m *Memory) Prune() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.closed {
		m.pruneLocked()
	}
}

// Read implements Store.
func (m *Memory) Read(user string, after uint64, limit int) (Page, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return Page{}, ErrClosed
	}
	u := m.users[user]
	if u == nil {
		return Page{Lost: after > 0 && after < m.forgotten}, nil
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
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, ErrClosed
	}
	if u := m.users[user]; u != nil {
		return u.last, nil
	}
	return 0, nil
}

// Epoch implements Store.
func (m *Memory) Epoch() string { return m.epoch }

// Ack implements Store.
func (m *Memory) Ack(user, device string, offset uint64) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, ErrClosed
	}
	u := m.userLocked(user)
	if u.cursors == nil {
		u.cursors = make(map[string]uint64)
	}
	c := max(u.cursors[device], min(offset, u.last))
	u.cursors[device] = c
	return c, nil
}

// Cursor implements Store.
func (m *Memory) Cursor(user, device string) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, ErrClosed
	}
	if u := m.users[user]; u != nil {
		return u.cursors[device], nil
	}
	return 0, nil
}

// Stats implements Store.
func (m *Memory) Stats() Stats { return m.stats.stats() }

// Close implements Store.
func (m *Memory) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.users, m.fifo = nil, nil
	m.mu.Unlock()
	close(m.stop)
	m.wg.Wait()
	return nil
}
