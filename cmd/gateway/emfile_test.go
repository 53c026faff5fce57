package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imgate/gateway/internal/testutil"
	"github.com/imgate/gateway/internal/testutil/authtest"
)

// outcome is what one connection attempt got.
type outcome struct {
	status int // 101, 503…; 0 when closed without an answer
	nc     net.Conn
}

// burst opens n connections at once, each sending an upgrade request with
// a token, and returns what each got. The sockets stay open (a refused
// client that does not hang up is the worst case) until the test ends.
func burst(t *testing.T, addr string, n int, tok string) []outcome {
	t.Helper()
	out := make([]outcome, n)
	var wg sync.WaitGroup
	for i := range out {
		wg.Add(1)
		go func(o *outcome) {
			defer wg.Done()
			nc, err := net.DialTimeout("tcp", addr, testWait)
			if err != nil {
				return // the kernel's queue was full: also a refusal
			}
			o.nc = nc
			_ = nc.SetDeadline(time.Now().Add(testWait))
			_, _ = fmt.Fprintf(nc, "GET /?token=%s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
				"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", tok)
			resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
			if err != nil {
				return
			}
			o.status = resp.StatusCode
			if o.status == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
				o.status = -1
			}
		}(&out[i])
	}
	wg.Wait()
	t.Cleanup(func() { closeOutcomes(out) })
	return out
}

func closeOutcomes(out []outcome) {
	for _, o := range out {
		if o.nc != nil {
			_ = o.nc.Close()
		}
	}
}

func countStatus(out []outcome) map[int]int {
	m := map[int]int{}
	for _, o := range out {
		m[o.status]++
	}
	return m
}

// openFiles counts the child's open file descriptors.
func (p *proc) openFiles() int {
	p.t.Helper()
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/fd")
	if err != nil {
		p.t.Fatalf("%v; the gateway's log:\n%s", err, p.logText())
	}
	return len(ents)
}

// The gateway never hits EMFILE (which kills gnet's engine): with its
// open-files limit lowered to 256, bursts of many more connections than it
// can hold, all held open by their clients, get 101 up to -max-conns and
// 503 with Retry-After (or a closed socket past the refusal backlog)
// beyond; the gateway keeps serving throughout and after.
func TestEMFILE(t *testing.T) {
	const nofile = 256
	p := startGateway(t, nofile)
	limit := p.maxConns()
	if limit <= 0 || limit >= nofile {
		t.Fatalf("max_conns %d with %d open files", limit, nofile)
	}
	tok := authtest.Mint(t, []byte(testSecret), "alice", 0)
	for round := range 3 {
		out := burst(t, p.ws, 3*nofile, tok)
		got := countStatus(out)
		t.Logf("round %d: %v (max_conns %d, child fds %d)", round, got, limit, p.openFiles())
		switch {
		case got[-1] > 0:
			t.Fatalf("a 503 without Retry-After: %v", got)
		case got[http.StatusSwitchingProtocols] == 0 || got[http.StatusSwitchingProtocols] > limit:
			t.Fatalf("%d upgrades, want 1…%d: %v", got[http.StatusSwitchingProtocols], limit, got)
		case got[http.StatusServiceUnavailable] == 0:
			t.Fatalf("no 503 at the cap: %v", got)
		}
		if n := p.openFiles(); n >= nofile {
			t.Fatalf("child holds %d of %d files", n, nofile)
		}
		if !p.alive() {
			t.Fatalf("gateway exited:\n%s", p.logText())
		}
		if status, _ := p.get("/healthz"); status != 200 {
			t.Fatalf("/healthz %d", status)
		}
		// At the cap, a client that reads its answer and hangs up gets
		// 503 with Retry-After, every time.
		var upgraded []outcome
		for _, o := range out {
			if o.status == http.StatusSwitchingProtocols {
				upgraded = append(upgraded, o)
			} else if o.nc != nil {
				_ = o.nc.Close()
			}
		}
		testutil.Eventually(t, testWait, func() error {
			if n := int(p.stats()["connections"].(float64)); n != len(upgraded) {
				return fmt.Errorf("%d sockets open, want the %d upgraded", n, len(upgraded))
			}
			return nil
		})
		if status, body := p.get("/readyz"); status != http.StatusServiceUnavailable && len(upgraded) == limit {
			t.Fatalf("/readyz at the cap: %d %s", status, body)
		}
		for i := range 20 {
			polite := burst(t, p.ws, 1, tok)
			if polite[0].status != http.StatusServiceUnavailable {
				t.Fatalf("attempt %d at the cap: status %d, want 503 with Retry-After", i, polite[0].status)
			}
			closeOutcomes(polite)
		}
		closeOutcomes(out)
		testutil.Eventually(t, testWait, func() error {
			if n := p.stats()["connections"].(float64); n != 0 {
				return fmt.Errorf("%v connections still open", n)
			}
			return nil
		})
		// Still serving: a new client is upgraded and authenticated.
		c, first := dialWS(t, p.ws, "?token="+tok)
		if first["code"] != float64(200) {
			t.Fatalf("first frame after the burst: %v", first)
		}
		c.Conn.Close()
	}
	if strings.Contains(p.logText(), "Accept() failed") || strings.Contains(p.logText(), "listener failed") {
		t.Fatalf("the engine failed:\n%s", p.logText())
	}
	if status, body := p.get("/metrics"); status != 200 || !strings.Contains(body, `imgate_handshakes_total{result="unavailable"}`) {
		t.Fatalf("/metrics: %d", status)
	}
}
