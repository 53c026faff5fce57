package benchtest

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/gateway"
	"github.com/imgate/gateway/inbox"
	"github.com/imgate/gateway/internal/testutil/authtest"
	"github.com/imgate/gateway/internal/testutil/enginetest"
	"github.com/imgate/gateway/internal/testutil/gwtest"
)

// Secret is the HS256 key of every Gateway started here.
var Secret = []byte("inproc-test-secret-0123456789abcdef")

// Password is the password of the LOGIN accounts: LoginUser(n) for n below
// the Users count given to StartGateway.
const Password = "bench-pass"

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
	accounts := make([]string, 0, 2*o.Users)
	for n := range o.Users {
		accounts = append(accounts, LoginUser(n), Password)
	}
	ping := o.PingInterval
	if ping == 0 {
		ping = -1
	}
	g := gwtest.Start(t, gwtest.Options{
		Auth:    auth.Config{Secret: Secret, Users: authtest.Users(t, accounts...)},
		Gateway: gateway.Config{Inbox: o.Inbox},
		Engine:  &engine.Options{Loops: 2, PingInterval: ping, IdleTimeout: time.Minute, Logger: slog.New(slog.DiscardHandler)},
	})
	return &Server{URL: g.URL, StatsURL: g.API + "/api/stats", Engine: g.Srv}
}

// StartEcho starts an RFC 6455 echo server on the engine alone (what
// cmd/echo runs); it stops when the test ends.
func StartEcho(t testing.TB) *Server {
	t.Helper()
	s := enginetest.Serve(t, echo{}, engine.Options{Loops: 2, PingInterval: -1, IdleTimeout: time.Minute,
		MaxMessageSize: 16 << 20, Logger: slog.New(slog.DiscardHandler)})
	return &Server{URL: s.URL, Engine: s.Server}
}

// echo writes every message back as it came.
type echo struct{}

func (echo) OnOpen(*engine.Conn, *engine.Request) {}
func (echo) OnClose(*engine.Conn, uint16)         {}

func (echo) OnMessage(c *engine.Conn, op engine.OpCode, p []byte) {
	c.Write(engine.AppendFrame(make([]byte, 0, len(p)+engine.HeaderRoom), op, p))
}
