package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/imgate/gateway/bench"
	"github.com/imgate/gateway/bench/benchtest"
)

// envAsMain makes the test binary behave as cmd/bench, so that -procs can
// start it as its children.
const envAsMain = "BENCH_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(envAsMain) != "" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestProcsAgainstGateway runs chat and idle with -procs through the real
// command line: children are this binary, the gateway runs in this process.
func TestProcsAgainstGateway(t *testing.T) {
	t.Setenv(envAsMain, "1") // inherited by the children only: this process is past TestMain
	t.Setenv(envSecret, string(benchtest.Secret))
	srv := benchtest.StartGateway(t, benchtest.GatewayOptions{})
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		args  []string
		check func(*bench.Report) bool
	}{
		{name: "chat", args: []string{"chat", "-conns", "12", "-procs", "3", "-inflight", "2", "-duration", "300ms"},
			check: func(r *bench.Report) bool {
				c := r.Chat
				return c.Sent > 0 && c.Delivered == c.Sent && c.Lost == 0 && r.Latency[bench.LatencyE2E].Count == c.Delivered
			}},
		{name: "idle", args: []string{"idle", "-conns", "10", "-procs", "2", "-duration", "100ms",
			"-stats-url", srv.StatsURL, "-server-pid", strconv.Itoa(os.Getpid())},
			check: func(r *bench.Report) bool { return r.Memory != nil && r.Memory.ServerAfter > 0 && r.Stats != nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, tc.name+".json")
			args := append(tc.args, "-target", srv.URL, "-quiet", "-json", file)
			var out, errOut bytes.Buffer
			if code := run(args, strings.NewReader(""), &out, &errOut); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			rep := readJSONReport(t, file)
			if rep.Procs < 2 || rep.Connected != int64(rep.Requested) || rep.Failed != 0 || !tc.check(rep) {
				t.Fatalf("report %+v chat %+v memory %+v\n%s\n%s", rep, rep.Chat, rep.Memory, out.String(), errOut.String())
			}
			if !strings.Contains(out.String(), "processes") {
				t.Errorf("table lacks the processes row:\n%s", out.String())
			}
		})
	}
}

func readJSONReport(t *testing.T, path string) *bench.Report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep bench.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return &rep
}

// TestMerge runs echo twice with -json and merges the two reports.
func TestMerge(t *testing.T) {
	srv := benchtest.StartEcho(t)
	dir := t.TempDir()
	var files []string
	var msgs int64
	for i := range 2 {
		f := filepath.Join(dir, "echo"+string(rune('a'+i))+".json")
		var out, errOut bytes.Buffer
		if code := run([]string{"echo", "-target", srv.URL, "-conns", "2", "-duration", "100ms", "-quiet", "-json", f},
			strings.NewReader(""), &out, &errOut); code != 0 {
			t.Fatalf("echo exit %d: %s", code, errOut.String())
		}
		msgs += readJSONReport(t, f).Echo.Messages
		files = append(files, f)
	}
	merged := filepath.Join(dir, "merged.json")
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{name: "two reports", args: append([]string{"merge", files[0], "-json", merged}, files[1]), wantCode: 0},
		{name: "no files", args: []string{"merge"}, wantCode: 2, wantErr: "no report files"},
		{name: "missing file", args: []string{"merge", filepath.Join(dir, "nope.json")}, wantCode: 1, wantErr: "nope.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(tc.args, strings.NewReader(""), &out, &errOut)
			if code != tc.wantCode || !strings.Contains(errOut.String(), tc.wantErr) {
				t.Fatalf("exit %d (want %d), stderr %q", code, tc.wantCode, errOut.String())
			}
		})
	}
	rep := readJSONReport(t, merged)
	if rep.Connected != 4 || rep.Echo.Messages != msgs || rep.Latency[bench.LatencyRTT].Count != msgs {
		t.Fatalf("merged connected %d messages %d (want %d) rtt %+v", rep.Connected, rep.Echo.Messages, msgs, rep.Latency)
	}
}
