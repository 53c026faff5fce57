package benchtest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/gateway"
	"github.com/imgate/gateway/hub"
	"github.com/imgate/gateway/inbox"
)

// Secret is the HS256 key of every Gateway started here.
var Secret = []byte("inproc-test-secret-0123456789abcdef")

// Password is the password of the LOGIN accounts: LoginUser(n) for n below
// the Users count given to StartGateway.
const Password = "bench-pass"

// stopWait bounds the shutdown of a server.
const stopWait = 10 * time.Second

// LoginUser is the name of LOGIN account n.
func LoginUser(n int) string { return fmt.Sprintf("bench%d", n) }

// Server is a server running in this process.
type Server struct {
	// URL is the WebSocket URL, ws://127.0.0.1:PORT/.
	URL string
	// StatsURL is the gateway's stats endpoint (empty for Echo).
	StatsURL string
	// Engine is the server's engine, for its counters.
	Engine *engine.Server
}

// GatewayOptions configure StartGateway.
type GatewayOptions struct {
	// Users is the number of LOGIN accounts bench0… to create (bcrypt's
	// lowest cost).
	Users int
	// PingInterval is the engine's ping interval (0: none).
	PingInterval time.Duration
	// Inbox is the gateway's inbox store (nil: off); the caller closes it.
	Inbox inbox.Store
}

// StartGateway starts a gateway with its HTTP API; both stop when the test
// ends.
func StartGateway(t testing.TB, o GatewayOptions) *Server {
	t.Helper()
	users := auth.NewUsers()
	for n := range o.Users {
		hash, err := bcrypt.GenerateFromPassword([]byte(Password), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		if err := users.Set(LoginUser(n), string(hash)); err != nil {
			t.Fatal(err)
		}
	}
	am, err := auth.New(auth.Config{Secret: Secret, Users: users})
	if err != nil {
		t.Fatal(err)
	}
	h, err := hub.New(hub.Config{Shards: 4})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	gw, err := gateway.New(gateway.Config{Auth: am, Hub: h, Logger: log, Inbox: o.Inbox})
	if err != nil {
		t.Fatal(err)
	}
	ping := o.PingInterval
	if ping == 0 {
		ping = -1
	}
	s := start(t, gw, engine.Options{Loops: 2, PingInterval: ping, IdleTimeout: time.Minute, Logger: log})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	api := &http.Server{Handler: gateway.NewAPI(gw, s.Engine), ReadHeaderTimeout: stopWait}
	go func() { _ = api.Serve(ln) }()
	s.StatsURL = "http://" + ln.Addr().String() + "/api/stats"
	t.Cleanup(func() {
		_ = api.Close()
		gw.CloseInbox()
		h.Close()
		am.Close()
	})
	return s
}

// StartEcho starts an RFC 6455 echo server on the engine alone (what
// cmd/echo runs); it stops when the test ends.
func StartEcho(t testing.TB) *Server {
	t.Helper()
	return start(t, echo{}, engine.Options{Loops: 2, PingInterval: -1, IdleTimeout: time.Minute,
		MaxMessageSize: 16 << 20, Logger: slog.New(slog.DiscardHandler)})
}

// start serves h on 127.0.0.1:0 until the test ends.
func start(t testing.TB, h engine.Handler, o engine.Options) *Server {
	t.Helper()
	srv, err := engine.New(h, engine.WithOptions(o))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve("127.0.0.1:0") }()
	<-srv.Ready()
	if srv.Addr() == nil {
		t.Fatalf("%v: %v", ErrNoAddr, <-done)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), stopWait)
		defer cancel()
		_ = srv.Stop(ctx)
		<-done
	})
	return &Server{URL: "ws://" + srv.Addr().String() + "/", Engine: srv}
}

// echo writes every message back as it came.
type echo struct{}

func (echo) OnOpen(*engine.Conn, *engine.Request) {}
func (echo) OnClose(*engine.Conn, uint16)         {}

func (echo) OnMessage(c *engine.Conn, op engine.OpCode, p []byte) {
	c.Write(engine.AppendFrame(make([]byte, 0, len(p)+engine.HeaderRoom), op, p))
}
