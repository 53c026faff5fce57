package gateway

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/imgate/gateway/hub"
	"github.com/imgate/gateway/internal/testutil"
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
	return (after.total - before.total) / n, after.top(before, n)
}

// heapSites is the in-use heap allocated on the server's goroutines, in
// total and by allocation site (the innermost function of this module or
// of gnet).
type heapSites struct {
	total int64
	sites map[string]int64
}

// serverHeap reads the exact heap profile (MemProfileRate 1) after two GCs
// (the profile lags one cycle) and keeps what server goroutines allocated.
func serverHeap() heapSites {
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
	h := heapSites{sites: map[string]int64{}}
	for i := range recs {
		site, server := classify(recs[i].Stack())
		if server {
			h.total += recs[i].InUseBytes()
			h.sites[site] += recs[i].InUseBytes()
		}
	}
	return h
}

// classify names a stack's allocation site and says whether it ran on a
// server goroutine: a gnet event loop or a hub shard. What the test
// logger keeps of the log lines is not the server's.
func classify(stk []uintptr) (site string, server bool) {
	frames := runtime.CallersFrames(stk)
	for {
		f, more := frames.Next()
		fn := f.Function
		if site == "" && (strings.Contains(fn, "imgate/gateway/") || strings.Contains(fn, "gnet/v2")) {
			site = fn
		}
		if strings.Contains(fn, "internal/testlog") {
			return "", false // the test logger's copy of log lines
		}
		if strings.Contains(fn, "gnet/v2.(*eventloop).run") || strings.Contains(fn, "hub.(*shard).run") {
			server = true
		}
		if !more {
			return site, server
		}
	}
}

// top lists the sites that grew most, per session.
func (h heapSites) top(before heapSites, n int64) string {
	type row struct {
		site string
		per  int64
	}
	var rows []row
	for s, b := range h.sites {
		if d := (b - before.sites[s]) / n; d > 0 {
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
