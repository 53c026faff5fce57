package hub

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/imgate/gateway/engine/wsframe"
	"github.com/imgate/gateway/internal/testutil"
)

// gateSender blocks its first Send until open is closed, so that ops pile
// up behind it in the shard's queue.
type gateSender struct {
	entered chan struct{}
	open    chan struct{}
	once    sync.Once
}

func (g *gateSender) Send(*wsframe.Frame) bool {
	first := false
	g.once.Do(func() { first = true })
	if first {
		close(g.entered)
		<-g.open
	}
	return true
}

// TestCloseDrainsPending: ops issued before Close run before Close returns;
// ops issued after Close has been called are dropped without callbacks.
func TestCloseDrainsPending(t *testing.T) {
	const pending = 1000
	h, err := New(Config{Shards: 1})
	if err != nil {
		t.Fatal(err)
	}
	gate := &gateSender{entered: make(chan struct{}), open: make(chan struct{})}
	h.Add(&Member{Conn: gate, UserID: "slow", SessionID: "s"})
	fast := newMember("fast", "f")
	h.Add(fast)
	h.Deliver("slow", nil, nil, nil)
	testutil.WaitChan(t, gate.entered, "owner blocked in Send")

	var ran atomic.Int64
	count := func(n int) { ran.Add(int64(n)) }
	for range pending {
		h.Deliver("fast", nil, nil, count)
	}
	closed := make(chan struct{})
	go func() { h.Close(); close(closed) }()
	testutil.Eventually(t, waitLimit, func() error {
		if !h.closed.Load() {
			return fmt.Errorf("Close has not started")
		}
		return nil
	})
	var late atomic.Bool
	h.Deliver("fast", nil, nil, func(int) { late.Store(true) })
	h.Sessions("fast", func([]*Member) { late.Store(true) })
	h.Add(newMember("fast", "late"))

	close(gate.open)
	testutil.WaitChan(t, closed, "Close")
	if got := ran.Load(); got != pending {
		t.Fatalf("%d of %d pending delivers ran before Close returned", got, pending)
	}
	if late.Load() {
		t.Fatal("an op issued after Close ran")
	}
	if got := h.SessionCount(); got != 2 {
		t.Fatalf("SessionCount = %d after Close, want 2 (late Add dropped)", got)
	}
	h.Close() // a second Close returns at once
}

// TestCloseNoGoroutineLeak: after Close every owner goroutine has exited.
func TestCloseNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	for _, shards := range []int{1, 64, 256} {
		h, err := New(Config{Shards: shards})
		if err != nil {
			t.Fatal(err)
		}
		m := newMember("u", "s")
		h.Add(m)
		deliverSync(t, h, "u", nil)
		h.Close()
	}
	testutil.Eventually(t, waitLimit, func() error {
		if n := runtime.NumGoroutine(); n > before {
			return fmt.Errorf("%d goroutines after Close, %d before", n, before)
		}
		return nil
	})
}

// TestConcurrentClose: Close racing with producers and with itself neither
// hangs nor races; every callback that runs does so before Close returns.
func TestConcurrentClose(t *testing.T) {
	h, err := New(Config{Shards: 4})
	if err != nil {
		t.Fatal(err)
	}
	for u := range 16 {
		h.Add(newMember(fmt.Sprint(u), "s"))
	}
	var closedDone atomic.Bool
	var afterClose atomic.Int64
	done := func(int) {
		if closedDone.Load() {
			afterClose.Add(1)
		}
	}
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Go(func() {
			for i := range 2000 {
				h.Deliver(fmt.Sprint((i+p)%16), nil, nil, done)
			}
		})
	}
	for range 2 {
		wg.Go(h.Close)
	}
	wg.Wait()
	closedDone.Store(true)
	h.Deliver("0", nil, nil, done)
	if n := afterClose.Load(); n != 0 {
		t.Fatalf("%d callbacks ran after Close returned", n)
	}
}

// TestBacklog: ops queued behind a busy owner are counted, and the count
// returns to zero once the owner is idle.
func TestBacklog(t *testing.T) {
	const queued = 100
	h := newHub(t, 1)
	gate := &gateSender{entered: make(chan struct{}), open: make(chan struct{})}
	h.Add(&Member{Conn: gate, UserID: "slow", SessionID: "s"})
	h.Deliver("slow", nil, nil, nil)
	testutil.WaitChan(t, gate.entered, "owner blocked in Send")
	for range queued {
		h.Deliver("nobody", nil, nil, nil)
	}
	if got := h.Backlog(); got < queued {
		t.Fatalf("Backlog() = %d with %d ops queued", got, queued)
	}
	close(gate.open)
	testutil.Eventually(t, waitLimit, func() error {
		if n := h.Backlog(); n != 0 {
			return fmt.Errorf("Backlog() = %d after the owner went idle", n)
		}
		return nil
	})
}
