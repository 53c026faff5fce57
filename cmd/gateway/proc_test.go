package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/imgate/gateway/internal/testlog"
	"github.com/imgate/gateway/internal/testutil"
)

// The tests of this package run the gateway command as a child process:
// the test binary itself, started with childEnv set, runs run() with the
// given arguments after lowering its open-files limit when asked.
const childEnv = "IMGATE_GATEWAY_CHILD"

// testWait bounds every wait: generous, for a slow machine under -race.
const testWait = 20 * time.Second

// testSecret is the child gateways' JWT secret.
const testSecret = "0123456789abcdef0123456789abcdef-test-secret"

type childSpec struct {
	Args   []string `json:"args"`
	NoFile uint64   `json:"nofile"`
}

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(childMain(spec))
	}
	testlog.Main(m)
}

func childMain(spec string) int {
	var c childSpec
	if err := json.Unmarshal([]byte(spec), &c); err != nil {
		fmt.Fprintln(os.Stderr, "child spec:", err)
		return 2
	}
	if c.NoFile > 0 {
		lim := syscall.Rlimit{Cur: c.NoFile, Max: c.NoFile}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			fmt.Fprintln(os.Stderr, "setrlimit:", err)
			return 2
		}
	}
	return run(c.Args)
}

// proc is a gateway child process.
type proc struct {
	t      testing.TB
	cmd    *exec.Cmd
	ws     string // WebSocket address
	http   string // HTTP API base URL
	exited chan struct{}
	status int

	mu  sync.Mutex
	log bytes.Buffer
}

var (
	wsAddrRE   = regexp.MustCompile(`"?ws"?[=:]"?([0-9.]+:[0-9]+)`)
	httpAddrRE = regexp.MustCompile(`http api listening.*"?addr"?[=:]"?([0-9.]+:[0-9]+)`)
	maxConnsRE = regexp.MustCompile(`"?max_conns"?[=:]([0-9]+)`)
)

// startGateway runs the gateway with the test defaults plus args (later
// flags win) and waits until it listens. nofile > 0 lowers its open-files
// limit. The process is killed when the test ends if it still runs.
func startGateway(t testing.TB, nofile uint64, args ...string) *proc {
	t.Helper()
	p := startGatewayNoWait(t, nofile, args...)
	p.waitLog(httpAddrRE)
	p.ws = p.match(wsAddrRE)
	p.http = "http://" + p.match(httpAddrRE)
	return p
}

func startGatewayNoWait(t testing.TB, nofile uint64, args ...string) *proc {
	t.Helper()
	all := append([]string{"-jwt-secret", testSecret, "-data-dir", t.TempDir(), "-addr", "127.0.0.1:0",
		"-http-addr", "127.0.0.1:0", "-log-level", "debug", "-log-format", "json"}, args...)
	spec, _ := json.Marshal(childSpec{Args: all, NoFile: nofile})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, cmd: cmd, exited: make(chan struct{})}
	go p.collect(stderr)
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// collect keeps the child's log lines (and hands them to testlog) until it
// exits, then records its exit status.
func (p *proc) collect(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := append(sc.Bytes(), '\n')
		testlog.Add(line)
		p.mu.Lock()
		p.log.Write(line)
		p.mu.Unlock()
	}
	err := p.cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		p.status = ee.ExitCode()
	}
	close(p.exited)
}

// logText returns the child's log so far.
func (p *proc) logText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// waitLog waits for a log line matching re.
func (p *proc) waitLog(re *regexp.Regexp) {
	p.t.Helper()
	testutil.Eventually(p.t, testWait, func() error {
		if re.MatchString(p.logText()) {
			return nil
		}
		select {
		case <-p.exited:
			p.t.Fatalf("gateway exited (%d) before logging %v:\n%s", p.status, re, p.logText())
		default:
		}
		return fmt.Errorf("no log line matches %v", re)
	})
}

func (p *proc) match(re *regexp.Regexp) string {
	p.t.Helper()
	m := re.FindStringSubmatch(p.logText())
	if m == nil {
		p.t.Fatalf("no log line matches %v", re)
	}
	return m[1]
}

// maxConns is the max_conns the gateway logged when it started.
func (p *proc) maxConns() int {
	p.t.Helper()
	n, err := strconv.Atoi(p.match(maxConnsRE))
	if err != nil {
		p.t.Fatal(err)
	}
	return n
}

// signal sends sig and waits for the exit; it returns the exit status.
func (p *proc) stop(sig syscall.Signal) int {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
	return p.wait()
}

func (p *proc) wait() int {
	p.t.Helper()
	select {
	case <-p.exited:
		return p.status
	case <-time.After(2 * testWait):
		p.t.Fatalf("gateway did not exit:\n%s", p.logText())
	}
	return -1
}

func (p *proc) alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// get fetches a path of the HTTP API.
func (p *proc) get(path string) (int, string) {
	p.t.Helper()
	c := http.Client{Timeout: testWait}
	resp, err := c.Get(p.http + path)
	if err != nil {
		p.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// stats decodes GET /api/stats.
func (p *proc) stats() map[string]any {
	p.t.Helper()
	status, body := p.get("/api/stats")
	var m map[string]any
	if status != 200 || json.Unmarshal([]byte(body), &m) != nil {
		p.t.Fatalf("/api/stats: %d %s", status, body)
	}
	return m
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// dialWS upgrades to the child at addr (HOST:PORT) with a query and
// returns the client and its first frame.
func dialWS(t testing.TB, addr, query string, opts ...testutil.DialOption) (*testutil.Client, map[string]any) {
	t.Helper()
	c := testutil.Dial(t, "ws://"+addr+"/"+query, opts...)
	return c, c.ReadMap()
}
