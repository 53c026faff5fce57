//go:build !race

package hub

import "testing"

// TestDeliverAllocs pins the hot-path budget: at most one allocation per
// Deliver, owner side included (the op node comes from a pool).
func TestDeliverAllocs(t *testing.T) {
	h := newHub(t, 4)
	m := newMember("u", "s")
	h.Add(m)
	frame := testFrame
	ch := make(chan int, 1)
	done := func(n int) { ch <- n }
	deliverSync(t, h, "u", nil)
	allocs := testing.AllocsPerRun(1000, func() {
		h.Deliver("u", frame, nil, done)
		<-ch
	})
	if allocs > 1 {
		t.Fatalf("%.2f allocations per Deliver, budget 1", allocs)
	}
	t.Logf("%.2f allocations per Deliver", allocs)
}
