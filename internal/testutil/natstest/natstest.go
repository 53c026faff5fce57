package natstest

import (
	"fmt"
	"net"
	"strconv"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/imgate/gateway/internal/testutil"
)

// Server is an embedded NATS server that can be stopped and started again
// on the same port.
type Server struct {
	t    testing.TB
	port int            // -1 until the first start
	dir  string         // JetStream storage; "" without JetStream
	Srv  *server.Server // nil while stopped
}

// Start starts a NATS server on 127.0.0.1 and a free port; it stops when
// the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return start(t, "")
}

// StartJetStream is Start with JetStream enabled (key-value buckets,
// streams), stored in a temporary directory.
func StartJetStream(t testing.TB) *Server {
	t.Helper()
	return start(t, t.TempDir())
}

func start(t testing.TB, dir string) *Server {
	t.Helper()
	s := &Server{t: t, port: -1, dir: dir}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Start starts the server again after Stop, on the same port and with the
// same JetStream storage. It must be stopped.
func (s *Server) Start() {
	s.t.Helper()
	if s.Srv != nil {
		s.t.Fatal("natstest: Start on a running server")
	}
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: s.port, NoLog: true, NoSigs: true,
		JetStream: s.dir != "", StoreDir: s.dir})
	if err != nil {
		s.t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(testutil.Wait) {
		s.t.Fatal("natstest: server not ready")
	}
	s.Srv, s.port = srv, srv.Addr().(*net.TCPAddr).Port
}

// Stop shuts the server down and waits until it is down. Idempotent.
func (s *Server) Stop() {
	if s.Srv != nil {
		s.Srv.Shutdown()
		s.Srv.WaitForShutdown()
		s.Srv = nil
	}
}

// Restart stops the server and starts it again on the same port.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.Start()
}

// URL is the server's client URL, nats://127.0.0.1:PORT; it stays the same
// across restarts.
func (s *Server) URL() string { return "nats://127.0.0.1:" + strconv.Itoa(s.port) }

// Interest is how many subscriptions match subject on the running server.
func (s *Server) Interest(subject string) int {
	return s.Srv.GlobalAccount().Interest(subject)
}

// WaitInterest polls until n subscriptions match subject.
func (s *Server) WaitInterest(t testing.TB, subject string, n int) {
	t.Helper()
	testutil.Eventually(t, testutil.Wait, func() error {
		if got := s.Interest(subject); got != n {
			return fmt.Errorf("%s has %d subscriptions, want %d", subject, got, n)
		}
		return nil
	})
}

// Connect opens a client connection to the server, closed when the test
// ends.
func (s *Server) Connect(t testing.TB, opts ...nats.Option) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(s.URL(), opts...)
	if err != nil {
		t.Fatalf("natstest: connect: %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}
