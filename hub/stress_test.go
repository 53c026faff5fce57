package hub

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/imgate/gateway/internal/testutil"
)

// TestManyProducersExactCounts runs producers that deliver to a shared,
// fixed set of users while each also churns its own user, and checks every
// count exactly: the delivered totals, each member's received frames, and
// per-producer ordering (each done sees the membership its producer set up
// just before).
func TestManyProducersExactCounts(t *testing.T) {
	const producers, opsPer, sharedUsers = 8, 3000, 100
	h := newHub(t, 8)
	var shared []*Member
	for u := range sharedUsers {
		for s := range u%2 + 1 {
			m := newMember(fmt.Sprintf("shared-%d", u), fmt.Sprint(s))
			shared = append(shared, m)
			h.Add(m)
		}
	}
	var delivered, wrongOrder atomic.Int64
	var wantDelivered [producers]int64
	var calls sync.WaitGroup
	var producersWG sync.WaitGroup
	for p := range producers {
		producersWG.Go(func() {
			own := fmt.Sprintf("own-%d", p)
			var mine []*Member
			for i := range opsPer {
				u := (i*7 + p) % sharedUsers
				calls.Add(1)
				h.Deliver(fmt.Sprintf("shared-%d", u), nil, nil, func(n int) {
					delivered.Add(int64(n))
					calls.Done()
				})
				wantDelivered[p] += int64(u%2 + 1)

				if i%3 == 2 && len(mine) > 0 {
					h.Remove(mine[0])
					mine = mine[1:]
				} else {
					m := newMember(own, fmt.Sprint(i))
					h.Add(m)
					mine = append(mine, m)
				}
				want := len(mine)
				calls.Add(1)
				h.Deliver(own, nil, nil, func(n int) {
					if n != want {
						wrongOrder.Add(1)
					}
					calls.Done()
				})
				if i%100 == 0 {
					runtime.Gosched()
				}
			}
		})
	}
	producersWG.Wait()
	testutil.WaitGroup(t, &calls, "callbacks")
	var want int64
	for _, w := range wantDelivered {
		want += w
	}
	if got := delivered.Load(); got != want {
		t.Fatalf("delivered %d, want %d", got, want)
	}
	if n := wrongOrder.Load(); n != 0 {
		t.Fatalf("%d delivers saw a membership other than their producer's last change", n)
	}
	var received int64
	for _, m := range shared {
		received += sentTo(m)
	}
	if received != want {
		t.Fatalf("members received %d frames, want %d", received, want)
	}
	barrier(t, h)
	ownSessions := int64(producers * (opsPer - opsPer/3*2))
	if got, want := h.SessionCount(), int64(len(shared))+ownSessions; got != want {
		t.Fatalf("SessionCount = %d, want %d", got, want)
	}
	if got, want := h.UserCount(), int64(sharedUsers+producers); got != want {
		t.Fatalf("UserCount = %d, want %d", got, want)
	}
}

// TestNoLostWakeup makes owners park between almost every op: each producer
// waits for one op's callback before sending the next, so every op finds its
// owner asleep or on its way to sleep, and several producers race to wake
// the same owner. A lost wake-up hangs a producer and fails waitChan.
func TestNoLostWakeup(t *testing.T) {
	for _, tc := range []struct {
		name      string
		shards    int
		producers int
		rounds    int
	}{
		{name: "one shard one producer", shards: 1, producers: 1, rounds: 20000},
		{name: "one shard many producers", shards: 1, producers: 8, rounds: 5000},
		{name: "many shards many producers", shards: 4, producers: 8, rounds: 5000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHub(t, tc.shards)
			var wg sync.WaitGroup
			for p := range tc.producers {
				wg.Go(func() {
					user := fmt.Sprintf("ping-%d", p)
					h.Add(newMember(user, "s"))
					ch := make(chan int, 1)
					done := func(n int) { ch <- n }
					for range tc.rounds {
						h.Deliver(user, nil, nil, done)
						n, ok := testutil.RecvWithin(ch, waitLimit)
						if !ok || n != 1 {
							t.Errorf("%s: delivered %d (received: %v), want 1", user, n, ok)
							return
						}
					}
				})
			}
			wg.Wait()
		})
	}
}

// TestBurstsNoLostWakeup alternates bursts from many producers with idle
// gaps (everyone waits for the burst to finish), so owners park and are
// woken by contending producers many times; the exact op count must arrive.
func TestBurstsNoLostWakeup(t *testing.T) {
	const producers, bursts, burst = 8, 300, 16
	h := newHub(t, 2)
	for p := range producers {
		h.Add(newMember(fmt.Sprintf("b-%d", p), "s"))
	}
	var total atomic.Int64
	for range bursts {
		var calls sync.WaitGroup
		calls.Add(producers * burst)
		done := func(n int) { total.Add(int64(n)); calls.Done() }
		var wg sync.WaitGroup
		for p := range producers {
			wg.Go(func() {
				for range burst {
					h.Deliver(fmt.Sprintf("b-%d", p), nil, nil, done)
				}
			})
		}
		wg.Wait()
		testutil.WaitGroup(t, &calls, "burst")
	}
	if got, want := total.Load(), int64(producers*bursts*burst); got != want {
		t.Fatalf("delivered %d, want %d", got, want)
	}
}
