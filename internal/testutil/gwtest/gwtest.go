package gwtest

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/gateway"
	"github.com/imgate/gateway/hub"
	"github.com/imgate/gateway/internal/testutil"
	"github.com/imgate/gateway/internal/testutil/authtest"
	"github.com/imgate/gateway/internal/testutil/enginetest"
)

// Secret is the default HS256 key of a gateway started here (one that
// internal/testlog knows, so that a logged secret fails the test).
var Secret = []byte("0123456789abcdef0123456789abcdef-test-secret")

// Options configure Start; the zero value is a gateway with the demo
// accounts, no cluster, and no log.
type Options struct {
	// Auth is the auth config; Start sets Secret (default Secret) and
	// Users (default authtest.DemoUsers) when they are zero.
	Auth auth.Config
	// Hub is the hub config; Shards defaults to 4.
	Hub hub.Config
	// Gateway is the gateway config; Start sets Auth and Hub, and Logger
	// when it is nil (a discarding logger).
	Gateway gateway.Config
	// Engine are the engine options; nil means enginetest.Options().
	Engine *engine.Options
	// Closers run when the gateway stops, after the engine has stopped
	// and before the hub and auth close: the place to close a cluster
	// bus or a session registry the gateway uses.
	Closers []func()
}

// Gateway is a running gateway.
type Gateway struct {
	Auth *auth.Manager
	Hub  *hub.Hub
	GW   *gateway.Gateway
	Srv  *engine.Server
	URL  string // WebSocket URL, ws://127.0.0.1:PORT/
	API  string // base URL of the HTTP API, http://127.0.0.1:PORT

	once    sync.Once
	front   []func() // the HTTP API and the engine
	closers []func() // Options.Closers
	back    []func() // the hub, then auth
}

// Start starts a gateway; it stops when the test ends, or at Stop.
func Start(t testing.TB, o Options) *Gateway {
	t.Helper()
	if o.Auth.Secret == nil {
		o.Auth.Secret = Secret
	}
	if o.Auth.Users == nil {
		o.Auth.Users = authtest.DemoUsers(t)
	}
	if o.Hub.Shards == 0 {
		o.Hub.Shards = 4
	}
	eo := enginetest.Options()
	if o.Engine != nil {
		eo = *o.Engine
	}
	g := &Gateway{closers: o.Closers}
	t.Cleanup(g.Stop)
	am, err := auth.New(o.Auth)
	if err != nil {
		t.Fatalf("gwtest: auth: %v", err)
	}
	g.Auth, g.back = am, []func(){am.Close}
	h, err := hub.New(o.Hub)
	if err != nil {
		t.Fatalf("gwtest: hub: %v", err)
	}
	g.Hub, g.back = h, []func(){h.Close, am.Close}
	o.Gateway.Auth, o.Gateway.Hub = am, h
	if o.Gateway.Logger == nil {
		o.Gateway.Logger = slog.New(slog.DiscardHandler)
	}
	if g.GW, err = gateway.New(o.Gateway); err != nil {
		t.Fatalf("gwtest: gateway: %v", err)
	}
	g.closers = append([]func(){g.GW.CloseInbox}, g.closers...)
	srv := enginetest.Serve(t, g.GW, eo)
	g.Srv, g.URL = srv.Server, srv.URL
	api := httptest.NewServer(gateway.NewAPI(g.GW, srv.Server))
	g.API = api.URL
	g.front = []func(){api.Close, srv.Stop}
	return g
}

// Stop stops the HTTP API, then the engine, then the gateway's inbox
// workers, then runs the Closers, then closes the hub and auth; what Start
// did not get to start is skipped.
// Idempotent; test goroutine or its cleanups.
func (g *Gateway) Stop() {
	g.once.Do(func() {
		for _, fns := range [][]func(){g.front, g.closers, g.back} {
			for _, f := range fns {
				f()
			}
		}
	})
}

// Token mints an access token of user (device "" for none) that this
// gateway accepts.
func (g *Gateway) Token(t testing.TB, user, device string) string {
	t.Helper()
	return testutil.Token(t, g.Auth, user, device)
}

// DialToken connects with a token (and device_id and platform where not
// empty) in the query and returns the client and its first frame.
func (g *Gateway) DialToken(t testing.TB, tok, device, platform string, opts ...testutil.DialOption) (*testutil.Client, testutil.Reply) {
	t.Helper()
	return testutil.DialFirst(t, g.URL+testutil.Query("token", tok, "device_id", device, "platform", platform), opts...)
}

// Connect opens an authenticated session of user on device and checks the
// first frame (code 200, user_id user).
func (g *Gateway) Connect(t testing.TB, user, device string, opts ...testutil.DialOption) *testutil.Client {
	t.Helper()
	c, r := g.DialToken(t, g.Token(t, user, ""), device, "test", opts...)
	if r.Code != 200 || r.BodyMap(t)["user_id"] != user {
		t.Fatalf("%s/%s: first frame %+v", user, device, r)
	}
	return c
}

// Post sends body (a string as it is, anything else as JSON) to the HTTP
// API at path with key as a bearer token ("" for none), and returns the
// status and the reply.
func (g *Gateway) Post(t testing.TB, path, key string, body any) (int, testutil.Reply) {
	t.Helper()
	var h http.Header
	if key != "" {
		h = http.Header{"Authorization": {"Bearer " + key}}
	}
	status, r, _ := testutil.Post(t, g.API+path, body, h)
	return status, r
}
