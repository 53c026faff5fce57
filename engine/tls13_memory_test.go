package engine

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/imgate/gateway/internal/testutil"
)

// wssHeapBudget is the most Go heap an idle upgraded wss connection on the
// engine's TLS 1.3 record layer may hold on the server side: engine.Conn,
// gnet's conn and addresses, tlsConn, tls13Records and the two AEADs
// (AES-128-GCM, 768 B each). Measured 2,307-2,349 B on go1.26
// linux/amd64, with and without -race (gnet's fd map grows by steps);
// keeping crypto/tls's side (tlsCrypto, 64 B) fails it, and with a
// tls.Conn kept for the life of the connection it was 2,410 B before
// tlsCrypto was split off and about 6,200 B before the record layer.
// Raise it only with a measurement and a reason in BENCHMARKS.md.
const wssHeapBudget = 2390

// TestTLS13HeapBudget opens real wss connections (Go's TLS 1.3 client, the
// default suite) on 127.0.0.1:0 and counts the heap that the server's
// goroutines (gnet's event loops and the handshake goroutines) still hold
// for them, from an exact heap profile after two GCs: live bytes by
// allocation site, no RSS, no timing. The clients, in the same process,
// are not counted.
func TestTLS13HeapBudget(t *testing.T) {
	defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
	runtime.MemProfileRate = 1 // every allocation from here on

	const n = 400
	o := tlsTestOptions(t)
	srv := startTLSServer(t, echoHandler{}, o, "")
	for i := range 4 * o.Loops { // each loop's scratch buffers, every path once
		c := dialWSS(t, srv.TLSAddr(), "/")
		c.send(msg(OpText, asciiPayload(20000+i)))
		c.expectMessage(OpText, asciiPayload(20000+i))
	}
	before := wssServerHeap()
	for range n {
		dialWSS(t, srv.TLSAddr(), "/")
	}
	testutil.Eventually(t, testWait, func() error {
		if got := srv.Stats().Upgraded.Load(); got != int64(n+4*o.Loops) {
			return fmt.Errorf("%d upgraded, want %d", got, n+4*o.Loops)
		}
		return nil
	})
	if got := srv.Stats().TLSOwnRecords.Load(); got != int64(n+4*o.Loops) {
		t.Fatalf("TLSOwnRecords %d: some connections kept crypto/tls", got)
	}
	after := wssServerHeap()
	per := (after.total - before.total) / n
	t.Logf("server heap per wss connection: %d B (budget %d B); top sites:\n%s", per, wssHeapBudget, after.top(before, n))
	if per > wssHeapBudget {
		t.Fatalf("an idle wss connection holds %d B of server heap, over the budget of %d B", per, wssHeapBudget)
	}
}

// heapBySite is the in-use heap allocated on the server's goroutines, in
// total and by allocation site.
type heapBySite struct {
	total int64
	sites map[string]int64
}

// wssServerHeap reads the exact heap profile (MemProfileRate 1) after two
// GCs (the profile lags one cycle) and keeps what server goroutines
// allocated.
func wssServerHeap() heapBySite {
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
	h := heapBySite{sites: map[string]int64{}}
	for i := range recs {
		if site, ok := serverSite(recs[i].Stack()); ok {
			h.total += recs[i].InUseBytes()
			h.sites[site] += recs[i].InUseBytes()
		}
	}
	return h
}

// serverSite names a stack's allocation site (its innermost function of
// the engine, gnet or crypto) and says whether it ran on a server
// goroutine: a gnet event loop or a TLS handshake goroutine. What the
// test logger keeps of log lines is not the server's.
func serverSite(stk []uintptr) (site string, server bool) {
	frames := runtime.CallersFrames(stk)
	for {
		f, more := frames.Next()
		fn := f.Function
		if site == "" && (strings.Contains(fn, "imgate/gateway/") || strings.Contains(fn, "gnet/v2") || strings.HasPrefix(fn, "crypto/")) {
			site = fn
		}
		if strings.Contains(fn, "internal/testlog") {
			return "", false
		}
		if strings.Contains(fn, "gnet/v2.(*eventloop).run") || strings.Contains(fn, "engine.(*tlsConn).handshake") {
			server = true
		}
		if !more {
			return site, server
		}
	}
}

// top lists the sites that grew most, per connection.
func (h heapBySite) top(before heapBySite, n int64) string {
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
