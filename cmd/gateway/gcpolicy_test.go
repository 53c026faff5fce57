package main

import (
	"regexp"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/imgate/gateway/engine"
)

// The GC policy's arithmetic: a large idle heap gets the minimum headroom,
// a small heap keeps Go's default, a collector over its CPU budget gets
// headroom in proportion, and nothing goes outside [minPercent, maxPercent].
func TestGCPolicyPercent(t *testing.T) {
	const mib = 1 << 20
	p := gcPolicy{minPercent: 25, maxPercent: 100, floor: 4 * mib, budget: 0.10, growing: 0.25, connecting: 16, connShare: 1.0 / 64}
	for _, tc := range []struct {
		name string
		c    cycle
		want int
	}{
		{name: "no live heap yet", c: cycle{current: 100}, want: 100},
		{name: "small heap: floor over live", c: cycle{live: 2 * mib, current: 100}, want: 100},
		{name: "heap equal to the floor", c: cycle{live: 4 * mib, current: 100}, want: 100},
		{name: "floor is 40% of the heap", c: cycle{live: 10 * mib, current: 100}, want: 40},
		{name: "idle heap of sessions", c: cycle{live: 1000 * mib, current: 100}, want: 25},
		{name: "GC within budget: the minimum", c: cycle{live: 1000 * mib, share: 0.02, current: 100}, want: 25},
		{name: "GC at 30% under GOGC 25: 75", c: cycle{live: 1000 * mib, share: 0.30, current: 25}, want: 75},
		{name: "GC at 8% under GOGC 100: 80", c: cycle{live: 1000 * mib, share: 0.08, kept: 0.1, current: 100}, want: 80},
		{name: "GC over budget while connects fill the heap: the minimum", c: cycle{live: 1000 * mib, share: 0.30, kept: 0.45, current: 25}, want: 25},
		{name: "kept just under the threshold: budget applies", c: cycle{live: 1000 * mib, share: 0.30, kept: 0.24, current: 25}, want: 75},
		{name: "TLS connects: little kept, but sockets in their handshake", c: cycle{live: 1000 * mib, share: 0.09, kept: 0.04, open: 1024, connecting: 16, current: 100}, want: 25},
		{name: "too few handshakes: budget applies", c: cycle{live: 1000 * mib, share: 0.09, kept: 0.04, open: 100, connecting: 15, current: 100}, want: 90},
		{name: "too small a share of the open: budget applies", c: cycle{live: 1000 * mib, share: 0.09, kept: 0.04, open: 6400, connecting: 99, current: 100}, want: 90},
		{name: "a share of the open in their handshake", c: cycle{live: 1000 * mib, share: 0.09, kept: 0.04, open: 6400, connecting: 100, current: 100}, want: 25},
		{name: "GC far over budget: capped at GOGC=100", c: cycle{live: 20 * mib, share: 0.9, current: 50}, want: 100},
		{name: "rounded up", c: cycle{live: 3 * 4 * mib, current: 100}, want: 34},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.percent(tc.c); got != tc.want {
				t.Fatalf("percent(%+v) = %d, want %d", tc.c, got, tc.want)
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
	tu := newGCTuner(gcPolicy{minPercent: 30, maxPercent: 100}, nil)
	runtime.GC()
	tu.adjust()
	if got := debug.SetGCPercent(77); got != 30 || tu.current != 30 {
		t.Fatalf("GOGC after adjust = %d (tuner says %d), want 30", got, tu.current)
	}
	tu.adjust() // 30 is in force for the tuner: no call
	if got := debug.SetGCPercent(100); got != 77 {
		t.Fatalf("adjust set GOGC again (%d) although its value was in force", got)
	}
}

// The tuner reads the open sockets and those in their handshake as each
// cycle ends.
func TestGCTunerReadsConns(t *testing.T) {
	var open, connecting int64
	tu := newGCTuner(gcPolicy{minPercent: 25, maxPercent: 100}, func() (int64, int64) { return open, connecting })
	for _, tc := range [][2]int64{{1000, 100}, {1000, 0}, {17, 17}} {
		open, connecting = tc[0], tc[1]
		if c := tu.read(); c.open != float64(open) || c.connecting != float64(connecting) {
			t.Fatalf("read open %v connecting %v, want %v", c.open, c.connecting, tc)
		}
	}
}

// The gateway's counts: every open socket, and those not yet upgraded.
func TestSocketCounts(t *testing.T) {
	var st engine.Stats
	st.Conns.Store(1000)
	st.Upgraded.Store(900)
	if open, connecting := socketCounts(&st)(); open != 1000 || connecting != 100 {
		t.Fatalf("socketCounts = %d, %d; want 1000, 100", open, connecting)
	}
}
