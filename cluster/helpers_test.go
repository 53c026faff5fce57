package cluster

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/imgate/gateway/internal/testutil"
)

// testWait bounds every wait: generous for a slow machine under -race; it
// turns a hang into a failure and is never a timing assertion.
const testWait = 20 * time.Second

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
	testutil.Eventually(t, testWait, func() error {
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
	testutil.Eventually(t, testWait, func() error {
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
