package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// envChild makes the test binary a child of a -procs run: it holds the
// childSpec as JSON.
const envChild = "BENCH_TEST_CHILD"

// childSpec is what a test child runs.
type childSpec struct {
	Scenario string
	URL      string
	Conns    int
	K, N     int
	Inflight int
}

func TestMain(m *testing.M) {
	if spec := os.Getenv(envChild); spec != "" {
		os.Exit(testChild(spec))
	}
	os.Exit(m.Run())
}

// testChild runs one child of a test's RunProcs, as cmd/bench would.
func testChild(spec string) int {
	var s childSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	run, _ := Lookup(s.Scenario)
	cfg := testConfig(s.URL, s.Conns)
	cfg.Duration, cfg.Inflight = 300*time.Millisecond, s.Inflight
	cfg, err := cfg.Shard(s.K, s.N)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := RunChild(context.Background(), run, cfg, os.Stdin, os.Stdout); err != nil {
		return 1
	}
	return 0
}

// testCommand returns RunProcs's command func: this test binary as child.
func testCommand(t *testing.T, s childSpec) func(k int) *exec.Cmd {
	return func(k int) *exec.Cmd {
		s.K = k
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envChild+"="+string(b))
		cmd.Stderr = os.Stderr
		return cmd
	}
}

// TestRunProcs runs every scenario over real child processes against a
// server in this process and checks the merged report: counts add up,
// the merged histograms hold every sample, chat messages cross processes
// without loss, and idle's server memory is sampled by the parent.
func TestRunProcs(t *testing.T) {
	srv := (&testServer{secret: testSecret}).start(t)
	stats := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `{"conns":%d}`, srv.live.Load())
	}))
	t.Cleanup(stats.Close)
	const conns, procs = 9, 3
	for _, name := range ScenarioNames() {
		t.Run(name, func(t *testing.T) {
			spec := childSpec{Scenario: name, URL: srv.url, Conns: conns, N: procs, Inflight: 2}
			cfg := testConfig(srv.url, conns)
			cfg.ServerPIDs, cfg.StatsURL = []int{os.Getpid()}, stats.URL // the server is this process
			var lines []string
			cfg.Progress = progressFunc(func(s string) { lines = append(lines, s) })
			rep, err := RunProcs(context.Background(), name, cfg, procs, testCommand(t, spec))
			if err != nil {
				t.Fatal(err)
			}
			if rep.Procs != procs || rep.Connected != conns || rep.Requested != conns || len(rep.Errors) != 0 || len(rep.Drops) != 0 {
				t.Fatalf("procs %d connected %d/%d errors %v drops %v notes %q",
					rep.Procs, rep.Connected, rep.Requested, rep.Errors, rep.Drops, rep.Notes)
			}
			if rep.Latency[LatencyUpgrade].Count != conns || rep.Histograms[LatencyUpgrade] == "" {
				t.Fatalf("upgrade latency %+v", rep.Latency[LatencyUpgrade])
			}
			checkProcsScenario(t, name, rep)
			for _, l := range lines {
				if !strings.HasPrefix(l, name) {
					t.Errorf("progress line %q", l)
				}
			}
		})
	}
}

func checkProcsScenario(t *testing.T, name string, rep *Report) {
	t.Helper()
	switch name {
	case "echo":
		// The test server greets first; echo without -hello counts the
		// greeting as unexpected, once per connection.
		e := rep.Echo
		if e.Messages == 0 || e.Unexpected != rep.Connected || rep.Latency[LatencyRTT].Count != e.Messages {
			t.Fatalf("echo %+v rtt %+v", e, rep.Latency[LatencyRTT])
		}
		if s := rep.Server; s == nil || s.Messages != e.Messages || s.ReadSyscalls == 0 || s.Error != "" {
			t.Fatalf("server load %+v", s)
		}
		if c := rep.Client; c == nil || c.Messages != e.Messages || c.WriteSyscalls == 0 || c.Error != "" {
			t.Fatalf("client load %+v", c)
		}
	case "chat":
		c := rep.Chat
		if c.Sent == 0 || c.Acked != c.Sent || c.Delivered != c.Acked || c.Lost != 0 || c.Duplicates != 0 || c.Foreign != 0 ||
			rep.Latency[LatencyE2E].Count != c.Delivered || rep.Latency[LatencyAck].Count != c.Acked {
			t.Fatalf("chat %+v latency %+v", c, rep.Latency)
		}
		if s := rep.Server; s == nil || s.Messages != c.Delivered || s.WriteSyscalls == 0 || s.Error != "" {
			t.Fatalf("server load %+v", s)
		}
	case "idle":
		m := rep.Memory
		if m == nil || m.ServerBefore == 0 || m.ServerAfter == 0 || m.ServerEnd == 0 || m.ClientAfter == 0 {
			t.Fatalf("memory %+v", m)
		}
		if rep.Stats == nil || len(rep.Stats.Deltas) != 1 || rep.Stats.Deltas[0].After != float64(rep.Connected) ||
			rep.Stats.Deltas[0].PerConn != 1 {
			t.Fatalf("stats %+v", rep.Stats)
		}
	}
}

func TestRunProcsRefuses(t *testing.T) {
	cmd := func(int) *exec.Cmd { t.Fatal("no child should start"); return nil }
	for _, tc := range []struct {
		name  string
		scen  string
		conns int
		procs int
		want  error
	}{
		{name: "unknown scenario", scen: "flood", conns: 4, procs: 2, want: ErrBadConfig},
		{name: "more procs than conns", scen: "idle", conns: 2, procs: 3, want: ErrBadConfig},
		{name: "no procs", scen: "idle", conns: 2, procs: 0, want: ErrBadConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := RunProcs(context.Background(), tc.scen, testConfig("ws://127.0.0.1:1/", tc.conns), tc.procs, cmd)
			if !errorsIs(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestRunProcsChildFails(t *testing.T) {
	cmd := func(k int) *exec.Cmd {
		c := exec.Command(os.Args[0], "-test.run=^$")
		c.Env = append(os.Environ(), envChild+"={not json")
		return c
	}
	_, err := RunProcs(context.Background(), "connect", testConfig("ws://127.0.0.1:1/", 2), 2, cmd)
	if !errorsIs(err, ErrChild) {
		t.Fatalf("err = %v, want ErrChild", err)
	}
}
