package auth

import (
	"net/netip"
	"sync"
	"time"
)

// ThrottleConfig limits failed logins (brute force). Each attempt counts as
// a failure until it succeeds. Past the free failures of a key, the next
// attempt must wait Base after the last one, doubling with every further
// failure up to Max; a key's count restarts after Window without failures.
// Three keys are counted:
//
//   - the (username, client address) pair: PairFree (default 5);
//   - the client address, over all usernames: AddrFree (default 30);
//   - the username, over all addresses: UserFree (default 100), with waits
//     capped at UserMax (default 1m), and not applied to an address the
//     user logged in from successfully within KnownFor (default 720h).
//
// So an attacker slows down guessing from one address, from many addresses
// against one user, and from one address against many users, but cannot
// lock a user out from the addresses they use. Addresses are compared whole
// for IPv4 and by /64 for IPv6. Zero fields get the defaults.
type ThrottleConfig struct {
	Disabled   bool
	PairFree   int
	AddrFree   int
	UserFree   int
	Base       time.Duration // default 1s
	Max        time.Duration // default 5m
	UserMax    time.Duration // default 1m
	Window     time.Duration // default 15m
	KnownFor   time.Duration // default 720h
	MaxEntries int           // per table, bounding memory; default 100000
}

func (c *ThrottleConfig) fill() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.PairFree, 5)
	def(&c.AddrFree, 30)
	def(&c.UserFree, 100)
	def(&c.MaxEntries, 100_000)
	defD(&c.Base, time.Second)
	defD(&c.Max, 5*time.Minute)
	defD(&c.UserMax, time.Minute)
	defD(&c.Window, 15*time.Minute)
	defD(&c.KnownFor, 720*time.Hour)
}

// throttle is the state of ThrottleConfig. Safe for concurrent use; every
// method holds mu briefly and never blocks otherwise.
type throttle struct {
	cfg ThrottleConfig
	now func() time.Time

	mu    sync.Mutex
	pairs map[string]*failures // guarded by mu
	addrs map[string]*failures // guarded by mu
	users map[string]*failures // guarded by mu
	known map[string]time.Time // pair → last success; guarded by mu
}

type failures struct {
	n    int
	last time.Time
}

func newThrottle(cfg ThrottleConfig, now func() time.Time) *throttle {
	cfg.fill()
	return &throttle{cfg: cfg, now: now, pairs: make(map[string]*failures),
		addrs: make(map[string]*failures), users: make(map[string]*failures), known: make(map[string]time.Time)}
}

// addrKey is the throttled unit of a client address: the address itself
// for IPv4, its /64 for IPv6 (one host usually holds a whole /64).
func addrKey(a netip.Addr) string {
	a = a.Unmap()
	if a.Is6() {
		if p, err := a.Prefix(64); err == nil {
			return p.String()
		}
	}
	return a.String()
}

// attempt records a login attempt of user from addr, counted as a failure
// until success is called. It returns 0, or how long to wait when the
// attempt is refused (then nothing is recorded).
func (t *throttle) attempt(user string, addr netip.Addr) time.Duration {
	if t.cfg.Disabled {
		return 0
	}
	now := t.now()
	ak := addrKey(addr)
	pk := user + "\x00" + ak
	t.mu.Lock()
	defer t.mu.Unlock()
	pair, ad, us := t.get(t.pairs, pk, now), t.get(t.addrs, ak, now), t.get(t.users, user, now)
	wait := max(t.wait(pair, t.cfg.PairFree, t.cfg.Max, now), t.wait(ad, t.cfg.AddrFree, t.cfg.Max, now))
	if k, ok := t.known[pk]; !ok || now.Sub(k) > t.cfg.KnownFor {
		wait = max(wait, t.wait(us, t.cfg.UserFree, t.cfg.UserMax, now))
	}
	if wait > 0 {
		return wait
	}
	for _, f := range []*failures{pair, ad, us} {
		f.n++
		f.last = now
	}
	return 0
}

// success undoes the failure attempt counted, forgets the pair's failures
// and marks addr as one the user logs in from.
func (t *throttle) success(user string, addr netip.Addr) {
	if t.cfg.Disabled {
		return
	}
	now := t.now()
	ak := addrKey(addr)
	pk := user + "\x00" + ak
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.pairs, pk)
	for _, f := range []*failures{t.addrs[ak], t.users[user]} {
		if f != nil && f.n > 0 {
			f.n--
		}
	}
	if len(t.known) >= t.cfg.MaxEntries {
		evict(t.known, func(v time.Time) bool { return now.Sub(v) > t.cfg.KnownFor })
	}
	t.known[pk] = now
}

// get returns key's record in m, restarted when stale, made when missing.
// mu held.
func (t *throttle) get(m map[string]*failures, key string, now time.Time) *failures {
	f := m[key]
	if f == nil {
		if len(m) >= t.cfg.MaxEntries {
			evict(m, func(f *failures) bool { return now.Sub(f.last) > t.cfg.Window })
		}
		f = &failures{}
		m[key] = f
	} else if now.Sub(f.last) > t.cfg.Window {
		f.n = 0
	}
	return f
}

// wait is how long an attempt must still wait under f. mu held.
func (t *throttle) wait(f *failures, free int, limit time.Duration, now time.Time) time.Duration {
	if f.n < free {
		return 0
	}
	d := t.cfg.Base
	for i := free; i < f.n && d < limit; i++ {
		d *= 2
	}
	return max(0, min(d, limit)-now.Sub(f.last))
}

// evict deletes the stale entries of m, or, when none is stale, about a
// tenth of them (map order is random), so that a flood of new keys cannot
// grow memory without bound. mu held.
func evict[V any](m map[string]V, stale func(V) bool) {
	n := 0
	for k, v := range m {
		if stale(v) {
			delete(m, k)
			n++
		}
	}
	for k := range m {
		if n >= len(m)/10+1 {
			break
		}
		delete(m, k)
		n++
	}
}

// prune forgets stale records.
func (t *throttle) prune() {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, m := range []map[string]*failures{t.pairs, t.addrs, t.users} {
		for k, f := range m {
			if now.Sub(f.last) > t.cfg.Window {
				delete(m, k)
			}
		}
	}
	for k, v := range t.known {
		if now.Sub(v) > t.cfg.KnownFor {
			delete(t.known, k)
		}
	}
}
