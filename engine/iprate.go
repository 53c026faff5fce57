package engine

import (
	"hash/maphash"
	"net"
	"net/netip"
	"sync"
	"time"
)

// ipLimiter is a token bucket per client address (IPv6: per /64), in
// shards each under its own mutex. Any goroutine.
//
// Memory stays bounded: a shard forgets, at most once per sweepEvery,
// buckets that have refilled completely (they behave like new ones), and
// holds at most maxPerShard buckets; an address that finds its shard full
// is let through (the connection cap still applies) rather than refused.
type ipLimiter struct {
	rate   float64 // tokens per nanosecond
	burst  float64
	full   int64 // nanoseconds an empty bucket needs to refill
	seed   maphash.Seed
	shards [ipShards]ipShard
}

const (
	ipShards    = 16
	maxPerShard = 1 << 16
	sweepEvery  = int64(10 * time.Second)
)

type ipShard struct {
	mu      sync.Mutex
	buckets map[netip.Addr]*ipBucket
	swept   int64
	_       [64]byte
}

type ipBucket struct {
	tokens float64
	last   int64 // UnixNano of the last update
}

func newIPLimiter(perSecond float64, burst int) *ipLimiter {
	l := &ipLimiter{rate: perSecond / 1e9, burst: float64(burst), seed: maphash.MakeSeed()}
	l.full = int64(l.burst / l.rate)
	for i := range l.shards {
		l.shards[i].buckets = make(map[netip.Addr]*ipBucket)
	}
	return l
}

// allow takes a token for remote's address at time now (UnixNano). It
// returns 0 when the connection may go ahead, else how long until a token
// is there.
func (l *ipLimiter) allow(remote net.Addr, now int64) time.Duration {
	key, ok := ipKey(remote)
	if !ok {
		return 0
	}
	sh := &l.shards[maphash.Comparable(l.seed, key)%ipShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if now-sh.swept > sweepEvery {
		sh.sweep(now, l.full)
	}
	b := sh.buckets[key]
	if b == nil {
		if len(sh.buckets) >= maxPerShard {
			return 0
		}
		b = &ipBucket{tokens: l.burst, last: now}
		sh.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+float64(now-b.last)*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	return time.Duration((1 - b.tokens) / l.rate)
}

// sweep forgets the buckets that have refilled. Called with mu held.
func (sh *ipShard) sweep(now, full int64) {
	sh.swept = now
	for k, b := range sh.buckets {
		if now-b.last >= full {
			delete(sh.buckets, k)
		}
	}
}

// ipKey is the address a limit applies to: IPv4 as is, IPv6 cut to its
// /64 (one subscriber's usual allocation).
func ipKey(a net.Addr) (netip.Addr, bool) {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.Addr{}, false
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	if !ok {
		return netip.Addr{}, false
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		ip = p.Addr()
	}
	return ip, true
}
