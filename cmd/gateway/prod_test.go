package main

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/imgate/gateway/internal/testutil"
	"github.com/imgate/gateway/internal/testutil/authtest"
)

// SIGTERM and SIGINT drain: /readyz turns 503, new upgrades get 503, each
// session gets RECONNECT with a jittered retry_after_ms and a 1001 close
// paced at -drain-rate, and the process exits 0 once they are gone.
func TestSignalDrain(t *testing.T) {
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
	}{
		{"SIGTERM", syscall.SIGTERM},
		{"SIGINT", syscall.SIGINT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n, rate = 12, 20.0
			p := startGateway(t, 0, "-drain-rate", strconv.Itoa(rate), "-drain-retry-after", "2s")
			tok := authtest.Mint(t, []byte(testSecret), "alice", 0)
			clients := make([]*testutil.Client, n)
			for i := range clients {
				clients[i], _ = dialWS(t, p.ws, "?token="+tok)
			}
			start := time.Now()
			if err := p.cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			testutil.Eventually(t, testWait, func() error {
				if status, _ := p.get("/readyz"); status != http.StatusServiceUnavailable {
					return fmt.Errorf("/readyz %d", status)
				}
				return nil
			})
			if got := burst(t, p.ws, 1, tok); got[0].status != http.StatusServiceUnavailable {
				t.Errorf("upgrade while draining: %d, want 503 with Retry-After", got[0].status)
			}
			var times []time.Time
			for i, c := range clients {
				m, err := c.TryReadMap()
				if err != nil || m["cmd_id"] != float64(3005) {
					t.Fatalf("client %d: %v %v, want RECONNECT", i, m, err)
				}
				times = append(times, time.Now())
				retry := m["body"].(map[string]any)["retry_after_ms"].(float64)
				if retry < 1000 || retry >= 3000 {
					t.Fatalf("retry_after_ms %v outside [1000, 3000)", retry)
				}
				if _, err := c.TryReadMap(); !testutil.IsClose(err, 1001) {
					t.Fatalf("client %d: %v, want close 1001", i, err)
				}
				_ = c.Conn.Close()
			}
			slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
			if spread, least := times[n-1].Sub(start), time.Duration(float64(n-2)/rate*float64(time.Second)); spread < least {
				t.Fatalf("%d sessions closed within %v; -drain-rate %v allows no less than %v", n, spread, rate, least)
			}
			if status := p.wait(); status != 0 {
				t.Fatalf("exit status %d:\n%s", status, p.logText())
			}
			for _, want := range []string{`"msg":"draining"`, `"msg":"drained"`} {
				if !strings.Contains(p.logText(), want) {
					t.Errorf("log lacks %s", want)
				}
			}
		})
	}
}

// -drain-timeout bounds the drain: at a rate too low to finish, the
// gateway gives up at the timeout, closes the rest, and exits 0.
func TestDrainTimeout(t *testing.T) {
	p := startGateway(t, 0, "-drain-rate", "1", "-drain-timeout", "1500ms")
	tok := authtest.Mint(t, []byte(testSecret), "alice", 0)
	var clients []*testutil.Client
	for range 5 {
		c, _ := dialWS(t, p.ws, "?token="+tok)
		clients = append(clients, c)
	}
	start := time.Now()
	if status := p.stop(syscall.SIGTERM); status != 0 {
		t.Fatalf("exit status %d", status)
	}
	if took := time.Since(start); took < 1500*time.Millisecond {
		t.Fatalf("exited after %v, before -drain-timeout", took)
	}
	if !strings.Contains(p.logText(), "drain timed out") || !strings.Contains(p.logText(), "drain cannot finish in time") {
		t.Fatalf("log lacks the drain warnings:\n%s", p.logText())
	}
	told := 0
	for _, c := range clients {
		if m, err := c.TryReadMap(); err == nil && m["cmd_id"] == float64(3005) {
			told++
		}
	}
	if told == 0 || told == len(clients) {
		t.Fatalf("%d of %d sessions told to reconnect before the timeout", told, len(clients))
	}
}

func TestPProf(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		status int
	}{
		{"with -pprof", []string{"-pprof"}, http.StatusOK},
		{"without", nil, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startGateway(t, 0, tc.args...)
			status, body := p.get("/debug/pprof/goroutine?debug=1")
			if status != tc.status {
				t.Fatalf("/debug/pprof/goroutine: %d", status)
			}
			if status == http.StatusOK && !strings.Contains(body, "goroutine profile") {
				t.Fatalf("not a goroutine profile: %.200s", body)
			}
			if status, _ := p.get("/healthz"); status != http.StatusOK {
				t.Fatalf("/healthz %d next to pprof", status)
			}
		})
	}
}

// freePort returns a port nothing listens on (the reuseport test needs one
// port for several processes).
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// -reuseport: two gateways share one port and both serve; without it a
// second gateway on the port fails to start.
func TestReusePort(t *testing.T) {
	addr := freePort(t)
	a := startGateway(t, 0, "-reuseport", "-addr", addr)
	b := startGateway(t, 0, "-reuseport", "-addr", addr)
	tok := authtest.Mint(t, []byte(testSecret), "alice", 0)
	for range 40 {
		c, first := dialWS(t, addr, "?token="+tok)
		if first["code"] != float64(200) {
			t.Fatalf("first frame %v", first)
		}
		defer c.Conn.Close()
	}
	na, nb := a.stats()["upgraded"].(float64), b.stats()["upgraded"].(float64)
	if na+nb != 40 || na == 0 || nb == 0 {
		t.Fatalf("connections per process: %v and %v, want 40 spread over both", na, nb)
	}
	alone := startGatewayNoWait(t, 0, "-addr", addr)
	if status := alone.wait(); status != 1 {
		t.Fatalf("a gateway without -reuseport on a used port exited %d, want 1", status)
	}
	if !strings.Contains(alone.logText(), "address already in use") {
		t.Fatalf("log:\n%s", alone.logText())
	}
}

func TestProdFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		ok   bool
	}{
		{"defaults", nil, true},
		{"all", []string{"-drain-rate", "50", "-drain-timeout", "10s", "-ip-conn-rate", "5", "-ip-conn-burst", "10",
			"-msg-rate", "20", "-msg-burst", "40", "-allowed-origins", "https://a.example, https://*.b.example", "-reuseport", "-pprof"}, true},
		{"zero drain rate", []string{"-drain-rate", "0"}, false},
		{"negative msg rate", []string{"-msg-rate", "-1"}, false},
		{"zero drain timeout", []string{"-drain-timeout", "0s"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var o options
			err := o.parse(tc.args, &strings.Builder{})
			if (err == nil) != tc.ok {
				t.Fatalf("parse %v: %v", tc.args, err)
			}
		})
	}
	var o options
	if err := o.parse([]string{"-allowed-origins", " https://a.example ,,https://*.b.example"}, &strings.Builder{}); err != nil {
		t.Fatal(err)
	}
	if got := o.prod.origins(); !slices.Equal(got, []string{"https://a.example", "https://*.b.example"}) {
		t.Fatalf("origins %q", got)
	}
}

func TestFDBudget(t *testing.T) {
	for _, tc := range []struct {
		name    string
		b       fdBudget
		n, want int
	}{
		{"default", fdBudget{limit: 20000, other: 40, http: 256, refused: 256, burst: 625}, 0, 18823},
		{"explicit below", fdBudget{limit: 20000, other: 40, http: 256, refused: 256, burst: 625}, 1000, 1000},
		{"into the burst allowance", fdBudget{limit: 20000, other: 40, http: 256, refused: 256, burst: 625}, 19000, 19000},
		{"above the limit", fdBudget{limit: 20000, other: 40, http: 256, refused: 256, burst: 625}, 30000, 19448},
		{"no limit known", fdBudget{}, 7, 7},
		// Issue 15 measures 19,000 idle sessions at default flags under
		// the machine's 20,000 open files.
		{"20,000 files, 2 loops", splitFDs(20000, 2), 0, 19336},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.b.maxConns(tc.n, discardLogger()); got != tc.want {
				t.Fatalf("maxConns(%d) = %d, want %d", tc.n, got, tc.want)
			}
		})
	}
}
