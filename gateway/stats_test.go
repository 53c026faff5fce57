package gateway

import (
	"sync/atomic"
	"testing"
)

func TestCounters(t *testing.T) {
	var cs counters
	for loop := range 20 {
		cs.add(loop, cIn+cmdSend, 2)
	}
	cs.add(3, cLogins, 1)
	if got := cs.get(cIn + cmdSend); got != 40 {
		t.Fatalf("sum %d, want 40", got)
	}
	if got := cs.get(cLogins); got != 1 {
		t.Fatalf("logins %d", got)
	}
	for _, tc := range []struct {
		id   int
		want int
	}{{1001, cmdLogin}, {2001, cmdSend}, {3005, cmdReconnect}, {0, cmdOther}, {9999, cmdOther}} {
		if got := cmdIndex(tc.id); got != tc.want {
			t.Errorf("cmdIndex(%d) = %d, want %d", tc.id, got, tc.want)
		}
	}
}

// BenchmarkCounterAdd is what a message costs the metrics: two adds to
// the stripe of its loop, two loops adding at once. The baseline is one
// shared atomic counter that both loops add to.
func BenchmarkCounterAdd(b *testing.B) {
	b.Run("striped", func(b *testing.B) {
		var cs counters
		var next atomic.Int32
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			loop := int(next.Add(1))
			for pb.Next() {
				cs.add(loop, cIn+cmdSend, 1)
				cs.add(loop, cOut+cmdSend, 1)
			}
		})
	})
	b.Run("shared", func(b *testing.B) {
		var in, out atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				in.Add(1)
				out.Add(1)
			}
		})
	})
}
