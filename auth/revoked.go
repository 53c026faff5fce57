package auth

import (
	"sync"
	"time"
)

// revokedSet holds the families revoked recently, each until its last
// access token has expired, so that Verify can refuse those tokens without
// asking the store. Reads take no lock (sync.Map: read-mostly keys).
type revokedSet struct {
	m   sync.Map // family ID → unix nanoseconds until which it is held
	now func() time.Time
}

func (r *revokedSet) add(id string, until time.Time) {
	u := until.UnixNano()
	for {
		old, loaded := r.m.LoadOrStore(id, u)
		if !loaded || old.(int64) >= u || r.m.CompareAndSwap(id, old, u) {
			return
		}
	}
}

func (r *revokedSet) has(id string) bool {
	v, ok := r.m.Load(id)
	return ok && r.clock().UnixNano() < v.(int64)
}

// prune forgets the entries whose time has passed.
func (r *revokedSet) prune() {
	now := r.clock().UnixNano()
	r.m.Range(func(k, v any) bool {
		if v.(int64) <= now {
			r.m.CompareAndDelete(k, v)
		}
		return true
	})
}

func (r *revokedSet) clock() time.Time {
	if r.now == nil {
		return time.Now()
	}
	return r.now()
}
