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
	"time"
)

// gcPolicy is -gc-min-percent: the garbage collector's headroom for a heap
// made of long-lived sessions. With GOGC=100 the heap grows to twice the
// live heap before each collection; while connections arrive (each makes
// garbage beside its session) the resident memory follows the peak, so an
// idle gateway holds 1.3–1.7 times its live heap (BENCHMARKS.md, "GC
// headroom"). After each collection the policy sets GOGC to the smallest
// headroom that is still at least
//
//   - minPercent of the live heap (the most GC work per allocated byte it
//     allows: that of GOGC=minPercent),
//   - floor bytes (small heaps: today's behaviour), and
//   - what the process allocated in window at the rate of the last cycle
//     (a busy chat gateway collects at most about once per window),
//
// and never more than GOGC=100 gives. An idle or slowly growing heap of
// sessions gets minPercent; a busy or small one keeps GOGC=100.
type gcPolicy struct {
	minPercent int           // 0: off, GOGC alone
	maxPercent int           // the GOGC the policy never exceeds
	floor      float64       // bytes
	window     time.Duration // allocation at the last cycle's rate over this long
}

// Defaults of the policy; -gc-min-percent sets minPercent.
const (
	gcDefaultMinPercent = 25
	gcMaxPercent        = 100 // Go's default GOGC
	gcFloor             = 4 << 20
	gcWindow            = 200 * time.Millisecond
)

// percent is the GOGC for a live heap of live bytes while the process
// allocates rate bytes per second. Pure: any goroutine.
func (p gcPolicy) percent(live, rate float64) int {
	if live <= 0 {
		return p.maxPercent
	}
	head := max(p.floor, live*float64(p.minPercent)/100, rate*p.window.Seconds())
	pct := int(math.Ceil(head*100/live - 1e-6)) // less a rounding error: minPercent exactly

	return min(max(pct, p.minPercent), p.maxPercent)
}

// bindGC adds -gc-min-percent to fs.
func (m *memoryOptions) bindGC(fs *flag.FlagSet) {
	fs.IntVar(&m.gcMin, "gc-min-percent", gcDefaultMinPercent, fmt.Sprintf(
		"garbage-collector headroom for a heap of idle sessions: after each collection GOGC is set to the "+
			"smallest value giving at least this share of the live heap, %d MiB, and %v of allocation at the "+
			"last cycle's rate, at most %d (Go's default), so that the heap of a growing idle gateway no longer "+
			"doubles between collections; 0 turns it off. Off when GOGC is set",
		gcFloor>>20, gcWindow, gcMaxPercent))
}

// checkGC validates -gc-min-percent.
func (m *memoryOptions) checkGC() error {
	if m.gcMin < 0 || m.gcMin > gcMaxPercent {
		return fmt.Errorf("-gc-min-percent %d: want 0 (off) to %d", m.gcMin, gcMaxPercent)
	}
	return nil
}

// applyGC starts the policy unless it is off or GOGC is set. main
// goroutine, once.
func (m *memoryOptions) applyGC(log *slog.Logger) {
	if m.gcMin == 0 || m.gcMin == gcMaxPercent || os.Getenv("GOGC") != "" {
		log.Info("gc policy", "min_percent", 0, "gogc", os.Getenv("GOGC"))
		return
	}
	p := gcPolicy{minPercent: m.gcMin, maxPercent: gcMaxPercent, floor: gcFloor, window: gcWindow}
	log.Info("gc policy", "min_percent", p.minPercent, "max_percent", p.maxPercent,
		"floor_bytes", int64(p.floor), "window", p.window.String())
	newGCTuner(p).arm()
}

// gcTuner applies a gcPolicy after every collection. Its state is touched
// only by the finalizer goroutine (and by newGCTuner before the first arm).
type gcTuner struct {
	p       gcPolicy
	samples []metrics.Sample
	allocs  uint64    // cumulative bytes allocated at the last adjustment
	at      time.Time // time of the last adjustment
	current int       // GOGC now in force
}

func newGCTuner(p gcPolicy) *gcTuner {
	t := &gcTuner{p: p, current: gcMaxPercent, at: time.Now(), samples: []metrics.Sample{
		{Name: "/gc/heap/live:bytes"}, {Name: "/gc/heap/allocs:bytes"},
	}}
	metrics.Read(t.samples)
	t.allocs = t.samples[1].Value.Uint64()
	return t
}

// gcSentinel is garbage from birth; its finalizer runs after the next
// collection. It holds a pointer so that it is never a tiny allocation
// (which may be finalized late or never).
type gcSentinel struct{ _ *byte }

// arm sets up the adjustment after the next collection. Any goroutine.
func (t *gcTuner) arm() {
	runtime.SetFinalizer(&gcSentinel{}, func(*gcSentinel) {
		t.adjust(time.Now())
		t.arm()
	})
}

// adjust reads the live heap of the collection just finished and the
// allocation since the last one, and sets GOGC. Finalizer goroutine.
func (t *gcTuner) adjust(now time.Time) {
	metrics.Read(t.samples)
	live, allocs := t.samples[0].Value.Uint64(), t.samples[1].Value.Uint64()
	rate := 0.0
	if dt := now.Sub(t.at).Seconds(); dt > 0 {
		rate = float64(allocs-t.allocs) / dt
	}
	t.allocs, t.at = allocs, now
	if pct := t.p.percent(float64(live), rate); pct != t.current {
		debug.SetGCPercent(pct)
		t.current = pct
	}
}
