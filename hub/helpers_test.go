package hub

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imgate/gateway/engine/wsframe"
	"github.com/imgate/gateway/internal/testutil"
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

// deliverSync issues a Deliver and waits for its done callback.
func deliverSync(t testing.TB, h *Hub, user string, except *Member) int {
	t.Helper()
	ch := make(chan int, 1)
	h.Deliver(user, testFrame, except, func(n int) { ch <- n })
	return testutil.WaitChan(t, ch, "deliver "+user)
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
	return testutil.WaitChan(t, ch, "sessions "+user)
}

// barrier waits until every shard has run everything queued before it.
func barrier(t testing.TB, h *Hub) {
	t.Helper()
	for i := range h.shards {
		ch := make(chan struct{})
		o := getOp()
		o.kind, o.fn = opSessions, func([]*Member) { close(ch) }
		h.shards[i].enqueue(o)
		testutil.WaitChan(t, ch, fmt.Sprintf("barrier shard %d", i))
	}
}
