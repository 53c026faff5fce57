package gateway

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/imgate/gateway/hub"
	"github.com/imgate/gateway/internal/testutil"
	"github.com/imgate/gateway/internal/testutil/heapsite"
)

// sessionHeapBudget is the most Go heap one authenticated idle session may
// hold on the server side: engine.Conn, gnet's conn and addresses, the
// session with its first member inside, the session ID, and the hub's and
// gnet's per-connection table slots. Measured 780 B on go1.26 linux/amd64,
// with and without -race (BENCHMARKS.md, "Memory per connection", after
// sessmem; 948 B before). The budget is that plus 4% (31 B) for the load
// of the hub's index and gnet's map (which N amortises). A field more in
// session moves it to the next size class (+16 B, TestSessionSize); a
// member allocated per session again (+128 B) or a Go map per shard in
// the hub again (+36 B) fails this test. Raise it only with a measurement
// and a reason in BENCHMARKS.md.
const sessionHeapBudget = 811

// sessionSize is the most bytes a session (with its first member inside)
// may take: the 144-byte size class. One field more puts it in the
// 160-byte class, 16 B per connection; a field rooms, inbox or a policy
// needs only sometimes belongs in sessionRare (allocated when first
// needed), like the rate bucket and the rooms.
const sessionSize = 144

// TestSessionSize keeps session, which holds its first authentication's
// member, within its size class.
func TestSessionSize(t *testing.T) {
	if got := unsafe.Sizeof(session{}); got > sessionSize {
		t.Fatalf("session is %d bytes, over %d (member %d, hub.Member %d): it leaves its size class",
			got, sessionSize, unsafe.Sizeof(member{}), unsafe.Sizeof(hub.Member{}))
	}
}

// sessionHeapBudgetInbox is sessionHeapBudget with the inbox on (as
// cmd/gateway's default flags have it): each authenticated session also
// holds its inbox position, ibState (32 B). Measured 814 B; the budget is
// that plus the same 4% (30 B).
const sessionHeapBudgetInbox = 844

// TestSessionHeapBudget opens real authenticated sessions on 127.0.0.1:0
// and counts the heap that the server's goroutines (gnet's event loops, the
// hub's shards) hold for them, from an exact heap profile after two GCs.
// It measures live bytes by allocation site, not RSS or time, so it does
// not depend on the GC's timing or on the machine's load; the clients, in
// the same process, are not counted, nor are the inbox store's workers.
func TestSessionHeapBudget(t *testing.T) {
	defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
	runtime.MemProfileRate = 1 // every allocation from here on

	withInbox := defaultStackOptions()
	withInbox.gwEdit = func(c *Config) { c.Inbox, c.InboxWorkers = memStore(), 8 }
	for _, tc := range []struct {
		name   string
		o      stackOptions
		budget int64
	}{
		{name: "inbox off", o: defaultStackOptions(), budget: sessionHeapBudget},
		{name: "inbox on", o: withInbox, budget: sessionHeapBudgetInbox},
	} {
		t.Run(tc.name, func(t *testing.T) {
			per, top := sessionHeap(t, tc.o)
			t.Logf("server heap per session: %d B (budget %d B); top sites:\n%s", per, tc.budget, top)
			if per > tc.budget {
				t.Fatalf("an idle authenticated session holds %d B of server heap, over the budget of %d B: see the sites above and BENCHMARKS.md, \"Memory per connection\"", per, tc.budget)
			}
		})
	}
}

// sessionHeap opens 2,000 authenticated sessions on a stack made with o
// and returns the server heap they hold, per session, and the sites that
// grew most.
func sessionHeap(t *testing.T, o stackOptions) (int64, string) {
	const n = 2000
	st := startStack(t, o)
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = testutil.Token(t, st.auth, fmt.Sprintf("u%d", i), "")
	}
	c := testutil.Dial(t, st.url+"?token="+testutil.Token(t, st.auth, "warmup", "")) // first use of every path
	c.Read()
	before := serverHeap()
	for i := range n {
		c := testutil.Dial(t, st.url+"?token="+tokens[i])
		if r := c.Read(); r.Code != 200 {
			t.Fatalf("session %d: first frame %+v", i, r)
		}
	}
	testutil.Eventually(t, testWait, func() error {
		if got := st.hub.SessionCount(); got != n+1 {
			return fmt.Errorf("hub has %d sessions, want %d", got, n+1)
		}
		return nil
	})
	after := serverHeap()
	return (after.Total - before.Total) / n, after.Top(before, n)
}

// serverHeap is the in-use heap that gnet's event loops and the hub's
// shards allocated, by site (the innermost function of this module or of
// gnet).
func serverHeap() heapsite.Heap {
	return heapsite.Read(heapsite.Filter{
		Site: func(fn string) bool {
			return strings.Contains(fn, "imgate/gateway/") || strings.Contains(fn, "gnet/v2")
		},
		Goroutines: []string{"gnet/v2.(*eventloop).run", "hub.(*shard).run"},
	})
}
