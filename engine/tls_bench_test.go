package engine

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkTLSHandshake measures connections per second, each a TCP
// connect, a TLS handshake (full, or resumed with a ticket), one request
// and its response head, and a close, against the engine (the request is a
// WebSocket upgrade, answered 101) and, in the same run, against a plain
// crypto/tls net/http server (a GET answered 200). Each server runs in a
// child process (this test binary, see TestTLSBenchServer), so that its CPU
// time per connection can be read from /proc and the client's goroutines
// do not share its Go scheduler. The clients skip certificate chain
// verification (the handshake signature is still checked).
func BenchmarkTLSHandshake(b *testing.B) {
	servers := []struct {
		name    string
		request []byte
		status  string
	}{
		{"engine", upgradeHead("/", "dGhlIHNhbXBsZSBub25jZQ=="), "HTTP/1.1 101 "},
		{"nethttp", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "HTTP/1.1 200 "},
	}
	for _, resumed := range []bool{false, true} {
		for _, s := range servers {
			kind := "full"
			if resumed {
				kind = "resumed"
			}
			b.Run(fmt.Sprintf("%s/%s", kind, s.name), func(b *testing.B) {
				srv := startBenchChild(b, s.name)
				benchHandshakes(b, srv, s.request, s.status, resumed)
			})
		}
	}
}

func benchHandshakes(b *testing.B, srv *benchChild, request []byte, status string, resumed bool) {
	addr := srv.addr
	b.ReportAllocs()
	b.SetParallelism(16) // enough clients to keep the server busy
	cpu0 := srv.cpu()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		cfg := &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}} //nolint:gosec // benchmark client
		if resumed {
			cfg.ClientSessionCache = tls.NewLRUClientSessionCache(1)
		}
		for pb.Next() {
			if err := oneConnection(addr, cfg, request, status); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "conns/s")
	b.ReportMetric(float64((srv.cpu()-cpu0).Microseconds())/float64(b.N), "server-cpu-µs/conn")
}

// oneConnection connects, completes TLS, sends request and reads the
// response head, which must start with status.
func oneConnection(addr net.Addr, cfg *tls.Config, request []byte, status string) error {
	nc, err := net.DialTimeout("tcp", addr.String(), 30*time.Second)
	if err != nil {
		return err
	}
	defer func() { _ = nc.Close() }()
	tc := tls.Client(nc, cfg)
	_ = tc.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := tc.Write(request); err != nil { // runs the handshake first
		return err
	}
	br := bufio.NewReader(tc)
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, status) {
		return fmt.Errorf("response %q: %v", line, err)
	}
	for line != "\r\n" {
		if line, err = br.ReadString('\n'); err != nil {
			return err
		}
	}
	return nil
}

// benchServerEnv names the server TestTLSBenchServer runs in a child.
const benchServerEnv = "IMGATE_TLS_BENCH_SERVER"

// TestTLSBenchServer is not a test: run by BenchmarkTLSHandshake in a
// child process with benchServerEnv set to "engine" or "nethttp", it
// serves TLS on 127.0.0.1, prints "addr HOST:PORT", and exits when its
// standard input closes.
func TestTLSBenchServer(t *testing.T) {
	kind := os.Getenv(benchServerEnv)
	if kind == "" {
		t.Skip("a helper process for BenchmarkTLSHandshake")
	}
	var addr net.Addr
	switch kind {
	case "engine":
		o := tlsTestOptions(t)
		o.HandshakeTimeout = time.Minute
		o.Loops = runtime.GOMAXPROCS(0)
		addr = startTLSServer(t, noopHandler{}, o, "").TLSAddr()
	case "nethttp":
		addr = startNetHTTPTLS(t)
	default:
		t.Fatalf("unknown server %q", kind)
	}
	fmt.Printf("addr %s\n", addr)
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// startNetHTTPTLS starts a crypto/tls net/http server answering 200.
func startNetHTTPTLS(t testing.TB) net.Addr {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := serverTLS(t)
	cfg.NextProtos = []string{"http/1.1"}
	hs := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", "0")
			w.WriteHeader(http.StatusOK)
		}),
		ErrorLog: log.New(io.Discard, "", 0),
	}
	hs.SetKeepAlivesEnabled(false)
	go func() { _ = hs.Serve(tls.NewListener(ln, cfg)) }()
	t.Cleanup(func() { _ = hs.Close() })
	return ln.Addr()
}

// benchChild is a server in a child process.
type benchChild struct {
	cmd  *exec.Cmd
	addr net.Addr
}

func startBenchChild(b *testing.B, kind string) *benchChild {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestTLSBenchServer$")
	cmd.Env = append(os.Environ(), benchServerEnv+"="+kind)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = stdin.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	host, ok := strings.CutPrefix(strings.TrimSpace(line), "addr ")
	if err != nil || !ok {
		b.Fatalf("server child said %q: %v", line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	addr, err := net.ResolveTCPAddr("tcp", host)
	if err != nil {
		b.Fatal(err)
	}
	return &benchChild{cmd: cmd, addr: addr}
}

// cpu is the CPU time (user and system) the child has used so far.
func (c *benchChild) cpu() time.Duration {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces): utime and
	// stime are the 12th and 13th, in clock ticks of 10ms.
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// BenchmarkTLSEcho is BenchmarkEchoRoundTrip's counterpart over TLS: 64-byte
// text messages over one connection, 16 in flight.
func BenchmarkTLSEcho(b *testing.B) {
	const window = 16
	o := tlsTestOptions(b)
	o.Loops = 1
	o.IdleTimeout = time.Hour
	srv := startTLSServer(b, echoHandler{}, o, "")
	echoPipelined(b, dialWSS(b, srv.TLSAddr(), "/"), window)
}
