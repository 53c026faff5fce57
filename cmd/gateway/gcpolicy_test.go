package main

import (
	"regexp"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// The GC policy's arithmetic: a large idle heap gets the minimum headroom,
// a small heap or a fast-allocating one keeps Go's default, and nothing
// goes outside [minPercent, maxPercent].
func TestGCPolicyPercent(t *testing.T) {
	const mib = 1 << 20
	p := gcPolicy{minPercent: 25, maxPercent: 100, floor: 4 * mib, window: 200 * time.Millisecond}
	for _, tc := range []struct {
		name       string
		live, rate float64
		want       int
	}{
		{name: "no live heap yet", live: 0, want: 100},
		{name: "small heap: floor over live", live: 2 * mib, want: 100},
		{name: "heap equal to the floor", live: 4 * mib, want: 100},
		{name: "floor is 40% of the heap", live: 10 * mib, want: 40},
		{name: "idle heap of sessions", live: 1000 * mib, want: 25},
		{name: "slow growth: the minimum wins", live: 1000 * mib, rate: 100 * mib, want: 25},
		{name: "allocation over the window is 60% of the heap", live: 1000 * mib, rate: 3000 * mib, want: 60},
		{name: "busy chat: capped at GOGC=100", live: 20 * mib, rate: 500 * mib, want: 100},
		{name: "rounded up", live: 3 * 4 * mib, want: 34},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.percent(tc.live, tc.rate); got != tc.want {
				t.Fatalf("percent(live %.0f, rate %.0f/s) = %d, want %d", tc.live, tc.rate, got, tc.want)
			}
		})
	}
}

func TestGCPolicyFlag(t *testing.T) {
	for _, tc := range []struct {
		min int
		ok  bool
	}{{0, true}, {25, true}, {100, true}, {-1, false}, {101, false}} {
		m := memoryOptions{spec: "auto", gcMin: tc.min}
		if err := m.checkGC(); (err == nil) != tc.ok {
			t.Errorf("-gc-min-percent %d: err = %v, want ok=%v", tc.min, err, tc.ok)
		}
	}
}

// The process starts the policy by default and says so.
func TestGCPolicyApplied(t *testing.T) {
	t.Setenv("GOGC", "")
	p := startGateway(t, 0)
	p.waitLog(regexp.MustCompile(`"msg":"gc policy","min_percent":25,"max_percent":100`))
}

// adjust sets the runtime's GOGC to what the policy says for the live heap
// of the collection just made (this test process's: with no floor and no
// window, the minimum), and leaves it alone when it is already in force.
func TestGCTunerAdjust(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	tu := newGCTuner(gcPolicy{minPercent: 30, maxPercent: 100})
	runtime.GC()
	tu.adjust(time.Now())
	if got := debug.SetGCPercent(77); got != 30 || tu.current != 30 {
		t.Fatalf("GOGC after adjust = %d (tuner says %d), want 30", got, tu.current)
	}
	tu.adjust(time.Now()) // 30 is in force for the tuner: no call
	if got := debug.SetGCPercent(100); got != 77 {
		t.Fatalf("adjust set GOGC again (%d) although its value was in force", got)
	}
}
