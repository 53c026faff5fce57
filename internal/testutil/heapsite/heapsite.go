package heapsite

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"strings"
)

// Filter says which allocations count and how they are named.
type Filter struct {
	// Site reports whether a function may name an allocation site; the
	// innermost such frame of a stack names it.
	Site func(fn string) bool
	// Goroutines are substrings of the functions that mark a counted
	// goroutine (a gnet event loop, a hub shard…): a stack counts when one
	// of its frames contains one of them.
	Goroutines []string
}

// Heap is the in-use heap that the counted goroutines allocated.
type Heap struct {
	Total int64
	Sites map[string]int64
}

// Read runs two GCs (the profile lags one cycle) and sums the in-use heap
// of the profile's records that f counts. What the test logger keeps of
// log lines never counts.
func Read(f Filter) Heap {
	runtime.GC()
	runtime.GC()
	var recs []runtime.MemProfileRecord
	for {
		n, ok := runtime.MemProfile(recs, false)
		if ok {
			recs = recs[:n]
			break
		}
		recs = make([]runtime.MemProfileRecord, n+100)
	}
	h := Heap{Sites: map[string]int64{}}
	for i := range recs {
		if site, ok := f.classify(recs[i].Stack()); ok {
			h.Total += recs[i].InUseBytes()
			h.Sites[site] += recs[i].InUseBytes()
		}
	}
	return h
}

// classify names a stack's allocation site and says whether it counts.
func (f Filter) classify(stk []uintptr) (site string, counted bool) {
	frames := runtime.CallersFrames(stk)
	for {
		fr, more := frames.Next()
		fn := fr.Function
		if site == "" && f.Site(fn) {
			site = fn
		}
		if strings.Contains(fn, "internal/testlog") {
			return "", false
		}
		for _, g := range f.Goroutines {
			if strings.Contains(fn, g) {
				counted = true
			}
		}
		if !more {
			return site, counted
		}
	}
}

// Top lists the 12 sites that grew most since before, per one of n.
func (h Heap) Top(before Heap, n int64) string {
	type row struct {
		site string
		per  int64
	}
	var rows []row
	for s, b := range h.Sites {
		if d := (b - before.Sites[s]) / n; d > 0 {
			rows = append(rows, row{s, d})
		}
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Compare(b.per, a.per) })
	var sb strings.Builder
	for _, r := range rows[:min(len(rows), 12)] {
		fmt.Fprintf(&sb, "  %5d B  %s\n", r.per, r.site)
	}
	return sb.String()
}
