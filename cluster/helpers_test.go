package cluster

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// testWait bounds every wait: generous for a slow machine under -race; it
// turns a hang into a failure and is never a timing assertion.
const testWait = 20 * time.Second

// natsServer is an embedded NATS server that can be stopped and started
// again on the same port.
type natsServer struct {
	t    testing.TB
	port int
	srv  *server.Server
}

func startNATS(t testing.TB) *natsServer {
	t.Helper()
	ns := &natsServer{t: t, port: -1}
	ns.start()
	t.Cleanup(ns.stop)
	return ns
}

func (ns *natsServer) start() {
	ns.t.Helper()
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: ns.port, NoLog: true, NoSigs: true})
	if err != nil {
		ns.t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(testWait) {
		ns.t.Fatal("nats server not ready")
	}
	ns.srv = srv
	ns.port = srv.Addr().(*net.TCPAddr).Port
}

func (ns *natsServer) stop() {
	if ns.srv != nil {
		ns.srv.Shutdown()
		ns.srv.WaitForShutdown()
		ns.srv = nil
	}
}

func (ns *natsServer) url() string { return "nats://127.0.0.1:" + strconv.Itoa(ns.port) }

// interest is how many subscriptions match subject on the server.
func (ns *natsServer) interest(subject string) int {
	return ns.srv.GlobalAccount().Interest(subject)
}

// waitInterest polls until subject has n subscriptions.
func (ns *natsServer) waitInterest(t testing.TB, subject string, n int) {
	t.Helper()
	eventually(t, func() error {
		if got := ns.interest(subject); got != n {
			return fmt.Errorf("%s has %d subscriptions, want %d", subject, got, n)
		}
		return nil
	})
}

// eventually polls cond until it returns nil or testWait passes.
func eventually(t testing.TB, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(testWait)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		runtime.Gosched()
		time.Sleep(2 * time.Millisecond)
	}
}

// recorder collects what a bus's handlers get.
type recorder struct {
	mu   sync.Mutex
	msgs []string // "user payload" or "ctl user kind origin data"
	ch   chan struct{}
}

func newRecorder() *recorder { return &recorder{ch: make(chan struct{}, 1024)} }

func (r *recorder) handlers() Handlers {
	return Handlers{
		Push: func(user string, payload []byte) { r.add(user + " " + string(payload)) },
		Control: func(user, kind, origin string, data []byte) {
			r.add("ctl " + user + " " + kind + " " + origin + " " + string(data))
		},
	}
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	r.msgs = append(r.msgs, s)
	r.mu.Unlock()
	select {
	case r.ch <- struct{}{}:
	default:
	}
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

// waitFor waits until the recorder holds n messages and returns them.
func (r *recorder) waitFor(t testing.TB, n int) []string {
	t.Helper()
	eventually(t, func() error {
		if got := r.all(); len(got) < n {
			return fmt.Errorf("got %d messages %q, want %d", len(got), got, n)
		}
		return nil
	})
	return r.all()
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startBus starts a bus on url with fast reconnects and returns it and its
// recorder.
func startBus(t testing.TB, url string, mod func(*Config)) (*Bus, *recorder) {
	t.Helper()
	cfg := Config{URLs: []string{url}, ReconnectWait: 20 * time.Millisecond, ConnectTimeout: time.Second,
		RequestTimeout: testWait, Logger: quietLogger()}
	if mod != nil {
		mod(&cfg)
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	if err := b.Start(rec.handlers()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b, rec
}

func waitReady(t testing.TB, b *Bus, want bool) {
	t.Helper()
	eventually(t, func() error {
		if b.Ready() != want {
			return fmt.Errorf("Ready() = %v, want %v", !want, want)
		}
		return nil
	})
}

// backend is a NATS client answering requests on a subject with fn.
func backend(t testing.TB, url, subject string, fn func(m *nats.Msg)) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if _, err := nc.Subscribe(subject, fn); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return nc
}
