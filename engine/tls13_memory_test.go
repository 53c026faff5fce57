package engine

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/imgate/gateway/internal/testutil"
	"github.com/imgate/gateway/internal/testutil/heapsite"
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
	per := (after.Total - before.Total) / n
	t.Logf("server heap per wss connection: %d B (budget %d B); top sites:\n%s", per, wssHeapBudget, after.Top(before, n))
	if per > wssHeapBudget {
		t.Fatalf("an idle wss connection holds %d B of server heap, over the budget of %d B", per, wssHeapBudget)
	}
}

// wssServerHeap is the in-use heap that gnet's event loops and the TLS
// handshake goroutines allocated, by site (the innermost function of the
// engine, gnet or crypto).
func wssServerHeap() heapsite.Heap {
	return heapsite.Read(heapsite.Filter{
		Site: func(fn string) bool {
			return strings.Contains(fn, "imgate/gateway/") || strings.Contains(fn, "gnet/v2") || strings.HasPrefix(fn, "crypto/")
		},
		Goroutines: []string{"gnet/v2.(*eventloop).run", "engine.(*tlsConn).handshake"},
	})
}
