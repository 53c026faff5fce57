package auth

import (
	"sync"
	"time"
)

// MemoryStore is a RefreshStore in memory: nothing survives a restart.
// It is the default of Config.Store and the reference the storetest suite
// is written against. Safe for concurrent use.
type MemoryStore struct {
	mu   sync.Mutex
	fams map[string]memFamily // guarded by mu
	last Version              // guarded by mu
}

type memFamily struct {
	f Family
	v Version
}

var _ RefreshStore = (*MemoryStore)(nil)

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{fams: make(map[string]memFamily)}
}

// Create implements RefreshStore.
func (s *MemoryStore) Create(f *Family) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.fams[f.ID]; ok {
		return ErrFamilyExists
	}
	s.last++
	s.fams[f.ID] = memFamily{f: *f, v: s.last}
	return nil
}

// Get implements RefreshStore.
func (s *MemoryStore) Get(id string) (Family, Version, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.fams[id]
	if !ok {
		return Family{}, 0, ErrFamilyNotFound
	}
	return e.f, e.v, nil
}

// Update implements RefreshStore.
func (s *MemoryStore) Update(f *Family, v Version) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.fams[f.ID]
	switch {
	case !ok:
		return ErrFamilyNotFound
	case e.v != v:
		return ErrConflict
	}
	s.last++
	s.fams[f.ID] = memFamily{f: *f, v: s.last}
	return nil
}

// ByUser implements RefreshStore.
func (s *MemoryStore) ByUser(userID string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id, e := range s.fams {
		if e.f.UserID == userID {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// RevokedSince implements RefreshStore.
func (s *MemoryStore) RevokedSince(since time.Time) ([]Family, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Family
	for _, e := range s.fams {
		if e.f.IsRevoked() && !e.f.Revoked.Before(since) {
			out = append(out, e.f)
		}
	}
	return out, nil
}

// Prune implements RefreshStore.
func (s *MemoryStore) Prune(now time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, e := range s.fams {
		if e.f.Expires.Before(now) {
			delete(s.fams, id)
			n++
		}
	}
	return n, nil
}
