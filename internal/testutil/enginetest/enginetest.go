package enginetest

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/internal/testutil"
)

// Options are engine options for a test server: two loops, no pings, a
// short close timeout and a fine timer, an idle timeout no test reaches
// by accident, and no log. Tests change what they need.
func Options() engine.Options {
	return engine.Options{Loops: 2, PingInterval: -1, IdleTimeout: time.Minute,
		CloseTimeout: 500 * time.Millisecond, TimerResolution: 20 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)}
}

// Server is an engine.Server serving on 127.0.0.1:0 for a test.
type Server struct {
	*engine.Server
	URL  string // ws://127.0.0.1:PORT/
	once sync.Once
	done chan error // Serve's result
}

// Serve serves h with o on 127.0.0.1:0 and returns the server once it
// listens; it stops when the test ends, if Stop did not stop it before.
func Serve(t testing.TB, h engine.Handler, o engine.Options) *Server {
	t.Helper()
	srv, err := engine.New(h, engine.WithOptions(o))
	if err != nil {
		t.Fatalf("engine.New: %v", err)
	}
	s := &Server{Server: srv, done: make(chan error, 1)}
	go func() { s.done <- srv.Serve("127.0.0.1:0") }()
	select {
	case <-srv.Ready():
	case <-time.After(testutil.Wait):
		t.Fatal("enginetest: server not ready")
	}
	if srv.Addr() == nil {
		t.Fatalf("enginetest: Serve: %v", <-s.done)
	}
	s.URL = "ws://" + srv.Addr().String() + "/"
	t.Cleanup(s.Stop)
	return s
}

// Stop stops the server (within testutil.Wait) and waits for Serve to
// return. Idempotent; any goroutine.
func (s *Server) Stop() {
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testutil.Wait)
		defer cancel()
		_ = s.Server.Stop(ctx)
		<-s.done
	})
}
