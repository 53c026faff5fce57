package gateway

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/imgate/gateway/internal/testutil"
)

// TestHostile runs the whole gateway (engine, gateway, hub, auth) while
// thousands of connections stall their handshake and bad clients send
// everything PROTOCOL.md refuses. Throughout, a well-behaved client keeps
// doing HEARTBEAT round trips, each of which must finish in probeBound.
// Every bad client must get the documented answer, and once they are all
// gone the gateway's connections, sessions, goroutines and heap must come
// back to where they were.
func TestHostile(t *testing.T) {
	idleEach := idleBudget(t)
	st := startStack(t, hostileOptions())
	warmUp(t, st)
	keys := newAttackerKeys(t)
	base := measure()

	pr := startProbe(t, st)
	idle := openIdle(t, st, idleEach)
	peak := measure()
	t.Logf("%d slowloris and %d silent connections open: heap %d KiB, %d goroutines",
		idleEach, idleEach, peak.heap>>10, peak.goroutines)

	t.Run("heads", func(t *testing.T) { hostileHeads(t, st) })
	t.Run("frames", func(t *testing.T) { hostileFrames(t, st) })
	t.Run("json", func(t *testing.T) { hostileJSON(t, st) })
	t.Run("tokens", func(t *testing.T) { hostileTokens(t, st, keys) })
	t.Run("slow consumer", func(t *testing.T) { hostileSlowConsumer(t, st) })

	// The stalled connections are closed by -handshake-timeout.
	idle.expectClosed(t, hostileOptions().engine.HandshakeTimeout+testWait)
	n, worst := pr.stop(t)
	t.Logf("probe: %d round trips, slowest %v", n, worst)

	slack := uint64(minHeapSlack)
	if peak.heap > base.heap {
		slack = max(slack, (peak.heap-base.heap)/4)
	}
	testutil.Eventually(t, 3*testWait, func() error { return backToBase(st, base, slack) })
	end := measure()
	t.Logf("heap %d KiB before, %d KiB after; goroutines %d before, %d after",
		base.heap>>10, end.heap>>10, base.goroutines, end.goroutines)
}

// probeBound is the longest a HEARTBEAT round trip of the well-behaved
// client may take while the gateway is under attack: generous, for a slow
// machine under -race, yet far below what a blocked event loop would cost.
const probeBound = 2 * time.Second

func hostileOptions() stackOptions {
	o := defaultStackOptions()
	o.engine.HandshakeTimeout = 15 * time.Second
	o.engine.WriteQueueBytes = 256 << 10
	o.engine.Logger = slog.New(slog.DiscardHandler)
	return o
}

// idleBudget raises the open-files limit to its hard limit and returns how
// many slowloris (and as many silent) connections fit: 2,000 each, fewer
// where the hard limit is low. Each costs a socket on both sides.
func idleBudget(t *testing.T) int {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatalf("getrlimit: %v", err)
	}
	if lim.Cur < lim.Max {
		old := lim.Cur
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			t.Fatalf("setrlimit: %v", err)
		}
		t.Cleanup(func() { lim.Cur = old; _ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim) })
	}
	n := min(2000, (int(lim.Cur)-1000)/4) // gnet dies on EMFILE: keep a reserve
	if n < 100 {
		t.Fatalf("open-files limit %d is too low for this test: raise it (ulimit -n)", lim.Cur)
	}
	return n
}

// warmUp runs every code path once (connect, login, send) so that pools
// and lazily built state are in the baseline.
func warmUp(t *testing.T, st *stack) {
	t.Helper()
	c := testutil.Dial(t, st.url)
	c.Read()
	if r := c.Login("alice", "alice123", 1); r.Code != 200 {
		t.Fatalf("login: %+v", r)
	}
	c.Send(map[string]any{"cmd_id": 2001, "seq": 2, "body": map[string]any{"to_uid": "alice", "content": "x"}})
	c.Read()
	_ = c.Conn.Close()
	testutil.Eventually(t, testWait, func() error { return noConns(st) })
}

// baseline is what the process holds with no client connected.
type baseline struct {
	heap       uint64
	goroutines int
}

func measure() baseline {
	runtime.GC()
	runtime.GC() // a second cycle frees what the first one's sync.Pool cleanup left
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return baseline{heap: ms.HeapAlloc, goroutines: runtime.NumGoroutine()}
}

// Once every bad client is gone the live heap may stay above its baseline
// by a quarter of what the idle connections alone added (about 6 MiB for
// 4,000), at least minHeapSlack: pools and runtime caches, not a leak.
const minHeapSlack = 1 << 20

// backToBase reports an error until the stack holds no connection and the
// heap and goroutines are back near base.
func backToBase(st *stack, base baseline, slack uint64) error {
	if err := noConns(st); err != nil {
		return err
	}
	now := measure()
	switch {
	case now.goroutines > base.goroutines+2:
		buf := make([]byte, 1<<16)
		return fmt.Errorf("%d goroutines, %d at the start:\n%s", now.goroutines, base.goroutines, buf[:runtime.Stack(buf, true)])
	case now.heap > base.heap+slack:
		return fmt.Errorf("heap %d KiB, %d KiB at the start (%d KiB allowed above it)", now.heap>>10, base.heap>>10, slack>>10)
	}
	return nil
}

func noConns(st *stack) error {
	s := st.srv.Stats()
	if c, u, n := s.Conns.Load(), s.Upgraded.Load(), st.hub.SessionCount(); c != 0 || u != 0 || n != 0 {
		return fmt.Errorf("conns=%d upgraded=%d sessions=%d, want 0", c, u, n)
	}
	return nil
}

// probe is the well-behaved client: HEARTBEAT round trips, one every
// probePace, on its own goroutine.
type probe struct {
	c     *testutil.Client
	quit  chan struct{}
	once  sync.Once
	done  chan struct{}
	n     int
	worst time.Duration
	err   error
}

const probePace = 10 * time.Millisecond

func startProbe(t *testing.T, st *stack) *probe {
	t.Helper()
	pr := &probe{c: st.connectAs(t, "probe", "probe1"), quit: make(chan struct{}), done: make(chan struct{})}
	go pr.run()
	t.Cleanup(pr.end)
	return pr
}

// end stops the probe's goroutine and waits for it. Idempotent.
func (pr *probe) end() {
	pr.once.Do(func() { close(pr.quit) })
	<-pr.done
}

func (pr *probe) run() {
	defer close(pr.done)
	tick := time.NewTicker(probePace)
	defer tick.Stop()
	for seq := int64(1); ; seq++ {
		select {
		case <-pr.quit:
			return
		case <-tick.C:
		}
		start := time.Now()
		if pr.err = pr.roundTrip(seq); pr.err != nil {
			return
		}
		rtt := time.Since(start)
		pr.n, pr.worst = pr.n+1, max(pr.worst, rtt)
		if rtt > probeBound {
			pr.err = fmt.Errorf("round trip %d took %v", seq, rtt)
			return
		}
	}
}

func (pr *probe) roundTrip(seq int64) error {
	msg := fmt.Appendf(nil, `{"cmd_id":1003,"seq":%d,"body":{}}`, seq)
	if err := wsutil.WriteClientMessage(pr.c.Conn, ws.OpText, msg); err != nil {
		return err
	}
	r, err := pr.c.TryRead()
	switch {
	case err != nil:
		return err
	case r.Seq != seq || r.Code != 200:
		return fmt.Errorf("heartbeat %d: got %+v", seq, r)
	}
	return nil
}

// stop ends the probe and fails the test if any round trip failed or took
// longer than probeBound.
func (pr *probe) stop(t *testing.T) (int, time.Duration) {
	t.Helper()
	pr.end()
	if pr.err != nil {
		t.Fatalf("the well-behaved client, after %d round trips: %v", pr.n, pr.err)
	}
	if pr.n == 0 {
		t.Fatal("the well-behaved client made no round trip")
	}
	_ = pr.c.Conn.Close()
	return pr.n, pr.worst
}

// idleConns are connections that never finish their request head.
type idleConns struct {
	conns []net.Conn
}

// openIdle opens n slowloris connections (half a request head, then
// nothing) and n silent ones (nothing at all), and waits until the server
// has accepted them all.
func openIdle(t *testing.T, st *stack, n int) *idleConns {
	t.Helper()
	half := []byte("GET /?device_id=slow HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConn")
	ic := &idleConns{}
	t.Cleanup(ic.close)
	before := st.srv.Stats().Conns.Load()
	d := net.Dialer{Timeout: testWait}
	for i := range 2 * n {
		nc, err := d.Dial("tcp", st.srv.Addr().String())
		if err != nil {
			t.Fatalf("idle connection %d: %v", i, err)
		}
		ic.conns = append(ic.conns, nc)
		if i%2 == 0 {
			if _, err := nc.Write(half); err != nil {
				t.Fatalf("slowloris %d: %v", i, err)
			}
		}
	}
	testutil.Eventually(t, testWait, func() error {
		if got := st.srv.Stats().Conns.Load() - before; got < int64(2*n) {
			return fmt.Errorf("server holds %d of the %d idle connections", got, 2*n)
		}
		return nil
	})
	return ic
}

// expectClosed checks that the server closed every idle connection,
// without answering, within d.
func (ic *idleConns) expectClosed(t *testing.T, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	buf := make([]byte, 64)
	for i, nc := range ic.conns {
		_ = nc.SetReadDeadline(deadline)
		n, err := nc.Read(buf)
		if n > 0 || err == nil {
			t.Fatalf("idle connection %d got %q", i, buf[:n])
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("idle connection %d still open after %v", i, d)
		}
	}
	ic.close()
}

func (ic *idleConns) close() {
	for _, nc := range ic.conns {
		_ = nc.Close()
	}
	ic.conns = nil
}
