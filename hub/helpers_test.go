package hub

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imgate/gateway/engine/wsframe"
)

// testFrame is a frame for Deliver: the hub only passes it on.
var testFrame = wsframe.New([]byte("\x81\x05frame"))

// waitLimit bounds every wait in the tests; it only turns a hang (a lost
// wake-up, a lost op) into a failure and is never a timing assertion.
const waitLimit = 30 * time.Second

// countSender is a Sender that counts accepted frames; when refuse is set it
// refuses them.
type countSender struct {
	n      atomic.Int64
	refuse atomic.Bool
}

func (s *countSender) Send(*wsframe.Frame) bool {
	if s.refuse.Load() {
		return false
	}
	s.n.Add(1)
	return true
}

func newMember(user, session string) *Member {
	return &Member{Conn: &countSender{}, UserID: user, SessionID: session, DeviceID: "d-" + session, Platform: "web"}
}

func sentTo(m *Member) int64 { return m.Conn.(*countSender).n.Load() }

func newHub(t testing.TB, shards int) *Hub {
	t.Helper()
	h, err := New(Config{Shards: shards})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

// eventually polls cond until it returns nil or waitLimit passes.
func eventually(t testing.TB, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

// recvWithin receives one value from ch; ok is false after waitLimit. Safe
// to call from any goroutine.
func recvWithin[T any](ch <-chan T) (v T, ok bool) {
	select {
	case v = <-ch:
		return v, true
	case <-time.After(waitLimit):
		return v, false
	}
}

// waitChan receives one value from ch or fails the test after waitLimit.
// Test goroutine only.
func waitChan[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	v, ok := recvWithin(ch)
	if !ok {
		t.Fatalf("%s: nothing after %v (lost wake-up or lost op?)", what, waitLimit)
	}
	return v
}

// waitGroup waits for wg or fails the test after waitLimit. Test goroutine
// only.
func waitGroup(t testing.TB, wg *sync.WaitGroup, what string) {
	t.Helper()
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	waitChan(t, ch, what)
}

// deliverSync issues a Deliver and waits for its done callback.
func deliverSync(t testing.TB, h *Hub, user string, except *Member) int {
	t.Helper()
	ch := make(chan int, 1)
	h.Deliver(user, testFrame, except, func(n int) { ch <- n })
	return waitChan(t, ch, "deliver "+user)
}

// sessionsSync returns the session IDs of user as the owner sees them.
func sessionsSync(t testing.TB, h *Hub, user string) []string {
	t.Helper()
	ch := make(chan []string, 1)
	h.Sessions(user, func(ms []*Member) {
		ids := make([]string, 0, len(ms))
		for _, m := range ms {
			ids = append(ids, m.SessionID)
		}
		ch <- ids
	})
	return waitChan(t, ch, "sessions "+user)
}

// barrier waits until every shard has run everything queued before it.
func barrier(t testing.TB, h *Hub) {
	t.Helper()
	for i := range h.shards {
		ch := make(chan struct{})
		o := getOp()
		o.kind, o.fn = opSessions, func([]*Member) { close(ch) }
		h.shards[i].enqueue(o)
		waitChan(t, ch, fmt.Sprintf("barrier shard %d", i))
	}
}
