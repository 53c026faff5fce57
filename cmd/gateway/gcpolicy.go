package main

import (
	"flag"
	"fmt"
	"log/slog"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"

	"github.com/imgate/gateway/engine"
)

// gcPolicy is -gc-min-percent: the garbage collector's headroom for a heap
// made of long-lived sessions. With GOGC=100 the heap grows to twice the
// live heap before each collection; while connections arrive (each makes
// garbage beside its session) the resident memory follows the peak, so an
// idle gateway holds 1.3–1.7 times its live heap (BENCHMARKS.md, "GC
// headroom"). After each collection the policy sets GOGC to the smallest
// value that still leaves
//
//   - minPercent of the live heap (the most GC work per allocated byte it
//     allows: that of GOGC=minPercent),
//   - floor bytes (a small heap keeps Go's default), and
//   - unless the heap is being filled with long-lived data (at least
//     growing of the bytes allocated over the last cycle stayed live, or,
//     as the cycle ends, at least connecting sockets and connShare
//     of the open ones are in their TLS or WebSocket handshake: a burst of
//     connects, whose sessions stay; a TLS handshake leaves about 25 times
//     its session's bytes as garbage, so only the count tells its burst
//     from chat traffic, and the share keeps the few handshakes of a large
//     gateway's everyday reconnects out), enough that the collector's
//     share of the process's CPU over the last cycle, scaled to the new
//     GOGC (the work per allocated byte goes as 1/GOGC), stays within
//     budget: a busy chat gateway, whose allocation is mostly short-lived,
//     keeps about what GOGC=100 costs it,
//
// and never more than GOGC=100 gives. An idle heap of sessions, or one
// that connects fill, gets minPercent: the GC work spent on it keeps
// memory that stays.
type gcPolicy struct {
	minPercent int     // 0: off, GOGC alone
	maxPercent int     // the GOGC the policy never exceeds
	floor      float64 // bytes
	budget     float64 // the GC's share of the process's CPU it aims to stay within
	growing    float64 // the share of allocation kept live above which the budget does not apply
	connecting float64 // the sockets in their handshake from which on the budget does not apply…
	connShare  float64 // …when they are also at least this share of the open sockets
}

// Defaults of the policy; -gc-min-percent sets minPercent.
const (
	gcDefaultMinPercent = 25
	gcMaxPercent        = 100 // Go's default GOGC
	gcFloor             = 2 << 20
	gcBudget            = 0.06
	gcGrowing           = 0.25
	gcConnecting        = 16
	gcConnShare         = 1.0 / 64
)

// cycle is what the tuner saw over the last GC cycle.
type cycle struct {
	live       float64 // bytes live after the collection
	kept       float64 // share (0 to 1) of the bytes allocated during the cycle still live after it
	share      float64 // share (0 to 1) of the CPU the process used that the collector took
	open       float64 // sockets open as the cycle ended
	connecting float64 // of those, the ones in their TLS or WebSocket handshake
	current    int     // GOGC in force during the cycle
}

// percent is the GOGC for the next cycle after c. Pure: any goroutine.
func (p gcPolicy) percent(c cycle) int {
	live, share, current := c.live, c.share, c.current
	if live <= 0 {
		return p.maxPercent
	}
	pct := max(float64(p.minPercent), p.floor*100/live)
	if p.budget > 0 && !p.filling(c) {
		pct = max(pct, float64(current)*share/p.budget)
	}
	return min(max(int(math.Ceil(pct-1e-6)), p.minPercent), p.maxPercent) // less a rounding error
}

// filling says whether the heap was being filled with long-lived data
// over cycle c: connects, or anything else whose bytes stay.
func (p gcPolicy) filling(c cycle) bool {
	return c.kept >= p.growing || p.connecting > 0 && c.connecting >= max(p.connecting, p.connShare*c.open)
}

// bindGC adds -gc-min-percent to fs.
func (m *memoryOptions) bindGC(fs *flag.FlagSet) {
	fs.IntVar(&m.gcMin, "gc-min-percent", gcDefaultMinPercent, fmt.Sprintf(
		"garbage-collector headroom for a heap of idle sessions: after each collection GOGC is set to the "+
			"smallest value giving at least this share of the live heap and %d MiB, and, unless connects fill the "+
			"heap, keeping the collector within %d%% of the process's CPU, at most %d (Go's default), so that the "+
			"heap of a growing idle gateway no longer doubles between collections; 0 turns it off. Off when GOGC is set",
		gcFloor>>20, int(gcBudget*100), gcMaxPercent))
}

// checkGC validates -gc-min-percent.
func (m *memoryOptions) checkGC() error {
	if m.gcMin < 0 || m.gcMin > gcMaxPercent {
		return fmt.Errorf("-gc-min-percent %d: want 0 (off) to %d", m.gcMin, gcMaxPercent)
	}
	return nil
}

// applyGC starts the policy unless it is off or GOGC is set; conns
// reports the sockets open now and how many of them are in their
// handshake. main goroutine, once.
func (m *memoryOptions) applyGC(log *slog.Logger, conns func() (open, connecting int64)) {
	if m.gcMin == 0 || m.gcMin == gcMaxPercent || os.Getenv("GOGC") != "" {
		log.Info("gc policy", "min_percent", 0, "gogc", os.Getenv("GOGC"))
		return
	}
	p := gcPolicy{minPercent: m.gcMin, maxPercent: gcMaxPercent, floor: gcFloor, budget: gcBudget,
		growing: gcGrowing, connecting: gcConnecting, connShare: gcConnShare}
	log.Info("gc policy", "min_percent", p.minPercent, "max_percent", p.maxPercent,
		"floor_bytes", int64(p.floor), "cpu_budget", p.budget, "growing", p.growing,
		"connecting", p.connecting, "connecting_share", p.connShare)
	newGCTuner(p, conns).arm()
}

// socketCounts reports st's open sockets and, of those, the ones not yet
// upgraded: in their TLS or WebSocket handshake.
func socketCounts(st *engine.Stats) func() (open, connecting int64) {
	return func() (int64, int64) {
		open := st.Conns.Load()
		return open, open - st.Upgraded.Load()
	}
}

// gcTuner applies a gcPolicy after every collection. Its state is touched
// only by the finalizer goroutine (and by newGCTuner before the first arm).
type gcTuner struct {
	p            gcPolicy
	conns        func() (open, connecting int64) // nil: none counted
	samples      []metrics.Sample
	live, allocs uint64  // live heap and cumulative bytes allocated at the last adjustment
	gc, user     float64 // cumulative GC and mutator CPU-seconds at the last adjustment
	current      int     // GOGC now in force
}

// The runtime/metrics the tuner reads, in samples' order.
var gcMetrics = []string{"/gc/heap/live:bytes", "/gc/heap/allocs:bytes",
	"/cpu/classes/gc/total:cpu-seconds", "/cpu/classes/user:cpu-seconds"}

func newGCTuner(p gcPolicy, conns func() (open, connecting int64)) *gcTuner {
	t := &gcTuner{p: p, conns: conns, current: gcMaxPercent}
	for _, name := range gcMetrics {
		t.samples = append(t.samples, metrics.Sample{Name: name})
	}
	t.read()
	return t
}

// read takes the metrics into the tuner's "last" fields and returns the
// cycle since the previous read.
func (t *gcTuner) read() cycle {
	metrics.Read(t.samples)
	live, allocs := t.samples[0].Value.Uint64(), t.samples[1].Value.Uint64()
	gc, user := t.samples[2].Value.Float64(), t.samples[3].Value.Float64()
	c := cycle{live: float64(live), current: t.current}
	if d := (gc - t.gc) + (user - t.user); d > 0 {
		c.share = (gc - t.gc) / d
	}
	if allocs > t.allocs && live > t.live {
		c.kept = min(1, float64(live-t.live)/float64(allocs-t.allocs))
	}
	if t.conns != nil {
		open, connecting := t.conns()
		c.open, c.connecting = float64(open), float64(connecting)
	}
	t.live, t.allocs, t.gc, t.user = live, allocs, gc, user
	return c
}

// gcSentinel is garbage from birth; its finalizer runs after the next
// collection. It holds a pointer so that it is never a tiny allocation
// (which may be finalized late or never).
type gcSentinel struct{ _ *byte }

// arm sets up the adjustment after the next collection. Any goroutine.
func (t *gcTuner) arm() {
	runtime.SetFinalizer(&gcSentinel{}, func(*gcSentinel) {
		t.adjust()
		t.arm()
	})
}

// adjust reads the cycle just finished (live heap, what it kept of what
// was allocated, the CPU the collector and the program used) and sets
// GOGC. Finalizer goroutine.
func (t *gcTuner) adjust() {
	if pct := t.p.percent(t.read()); pct != t.current {
		debug.SetGCPercent(pct)
		t.current = pct
	}
}
