package inbox_test

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/imgate/gateway/inbox"
	"github.com/imgate/gateway/inbox/storetest"
)

// jetStream starts an embedded NATS server with JetStream in dir.
func jetStream(t *testing.T, dir string, port int) *server.Server {
	t.Helper()
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, NoLog: true, NoSigs: true,
		JetStream: true, StoreDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(20 * time.Second) {
		t.Fatal("nats server not ready")
	}
	t.Cleanup(func() {
		srv.Shutdown()
		srv.WaitForShutdown()
	})
	return srv
}

func connect(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func openNATS(t *testing.T, nc *nats.Conn, lim inbox.Limits, o inbox.NATSOptions) *inbox.NATS {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := inbox.OpenNATS(ctx, nc, lim, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNATSContract(t *testing.T) {
	nc := connect(t, jetStream(t, t.TempDir(), -1).ClientURL())
	var n atomic.Int64
	storetest.Run(t, func(t *testing.T, lim inbox.Limits) inbox.Store {
		i := n.Add(1)
		return openNATS(t, nc, lim, inbox.NATSOptions{Stream: fmt.Sprintf("INBOX_%d", i),
			Subject: fmt.Sprintf("t%d.inbox", i), CursorBucket: fmt.Sprintf("cursors_%d", i)})
	})
}

// TestNATSTwoNodes: two stores on one stream (two gateway nodes)
// appending for one user at once keep one chain.
func TestNATSTwoNodes(t *testing.T) {
	url := jetStream(t, t.TempDir(), -1).ClientURL()
	a := openNATS(t, connect(t, url), inbox.Limits{}, inbox.NATSOptions{})
	b := openNATS(t, connect(t, url), inbox.Limits{}, inbox.NATSOptions{})
	if a.Epoch() != b.Epoch() {
		t.Fatalf("epochs %q and %q", a.Epoch(), b.Epoch())
	}
	done := make(chan error, 2)
	for _, s := range []inbox.Store{a, b} {
		go func() {
			for i := range 50 {
				if _, err := s.Append([]inbox.Record{{User: "alice", Data: []byte(fmt.Sprint(i))}}); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	p := storetest.ReadAll(t, b, "alice", 0)
	if len(p.Entries) != 100 {
		t.Fatalf("%d entries, want 100", len(p.Entries))
	}
	storetest.CheckChain(t, p.Entries, 0)
}

// TestNATSRestart: a NATS server restarted on the same store directory
// keeps the inbox: the epoch stays and offsets go on.
func TestNATSRestart(t *testing.T) {
	dir := t.TempDir()
	srv := jetStream(t, dir, -1)
	url := srv.ClientURL()
	nc := connect(t, url)
	s := openNATS(t, nc, inbox.Limits{}, inbox.NATSOptions{})
	a := storetest.Append(t, s, "alice", "one")
	epoch := s.Epoch()
	p := srv.Addr().(*net.TCPAddr).Port
	srv.Shutdown()
	srv.WaitForShutdown()
	jetStream(t, dir, p)
	var b inbox.Pos
	deadline := time.Now().Add(20 * time.Second)
	for {
		pos, err := s.Append([]inbox.Record{{User: "alice", Data: []byte("two")}})
		if err == nil {
			b = pos[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("append after the NATS restart: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if b.Prev != a.Offset || b.Offset <= a.Offset {
		t.Fatalf("after restart %+v, before %+v", b, a)
	}
	s2 := openNATS(t, nc, inbox.Limits{}, inbox.NATSOptions{})
	if s2.Epoch() != epoch {
		t.Fatalf("epoch %q after restart, was %q", s2.Epoch(), epoch)
	}
}
