package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imgate/gateway/internal/testutil"

	"golang.org/x/crypto/bcrypt"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/hub"
	"github.com/imgate/gateway/internal/testlog"
)

// testWait bounds every read and poll: generous for a slow machine under -race.
const testWait = 10 * time.Second

var testSecret = []byte("0123456789abcdef0123456789abcdef-test-secret")

// stack is a whole gateway on 127.0.0.1:0: auth, hub, gateway, engine,
// and the HTTP API on its own 127.0.0.1:0.
type stack struct {
	auth *auth.Manager
	hub  *hub.Hub
	gw   *Gateway
	srv  *engine.Server
	url  string
	api  string // base URL of the HTTP API, "http://127.0.0.1:N"
	stop func() // stops everything (once; Cleanup calls it too)
}

type stackOptions struct {
	engine       engine.Options
	loginTimeout time.Duration
	messageRate  MessageRate
	authEdit     func(*auth.Config) // changes the auth config before New
	gwEdit       func(*Config)      // changes the gateway config before New
	cluster      Cluster
	adminKey     string
}

func defaultStackOptions() stackOptions {
	return stackOptions{
		engine: engine.Options{Loops: 2, PingInterval: -1, IdleTimeout: 30 * time.Second,
			CloseTimeout: 500 * time.Millisecond, TimerResolution: 20 * time.Millisecond,
			Logger: testlog.Logger()},
		loginTimeout: 10 * time.Second,
	}
}

func startStack(t testing.TB, o stackOptions) *stack {
	t.Helper()
	acfg := auth.Config{Secret: testSecret, Users: testUsers(t)}
	if o.authEdit != nil {
		o.authEdit(&acfg)
	}
	am, err := auth.New(acfg)
	if err != nil {
		t.Fatal(err)
	}
	h, err := hub.New(hub.Config{Shards: 4})
	if err != nil {
		t.Fatal(err)
	}
	gcfg := Config{Auth: am, Hub: h, LoginTimeout: o.loginTimeout, Logger: testlog.Logger(),
		MessageRate: o.messageRate, Cluster: o.cluster, AdminKey: o.adminKey}
	if o.gwEdit != nil {
		o.gwEdit(&gcfg)
	}
	gw, err := New(gcfg)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := engine.New(gw, engine.WithOptions(o.engine))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve("127.0.0.1:0") }()
	<-srv.Ready()
	if srv.Addr() == nil {
		t.Fatalf("Serve: %v", <-done)
	}
	api := httptest.NewServer(NewAPI(gw, srv))
	var once sync.Once
	stop := func() {
		once.Do(func() {
			api.Close()
			ctx, cancel := context.WithTimeout(context.Background(), testWait)
			defer cancel()
			_ = srv.Stop(ctx)
			<-done
			h.Close()
			am.Close()
		})
	}
	t.Cleanup(stop)
	return &stack{auth: am, hub: h, gw: gw, srv: srv, url: "ws://" + srv.Addr().String() + "/", api: api.URL, stop: stop}
}

// testUsers are the demo accounts hashed at bcrypt's lowest cost: the
// demo's cost 10 takes seconds per login under the race detector.
func testUsers(t testing.TB) *auth.Users {
	t.Helper()
	users := auth.NewUsers()
	for _, up := range [][2]string{{"user123", "password123"}, {"alice", "alice123"}, {"bob", "bob123"}, {"carol", "carol123"}} {
		hash, err := bcrypt.GenerateFromPassword([]byte(up[1]), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		if err := users.Set(up[0], string(hash)); err != nil {
			t.Fatal(err)
		}
	}
	return users
}

// token mints an access token for user valid for ttl (negative: expired).
func (st *stack) token(t testing.TB, user, did string) string {
	t.Helper()
	tok, _, err := st.auth.IssueAccess(user, did)
	if err != nil {
		t.Fatal(err)
	}
	testlog.Secret(tok)
	return tok
}

// reply is any server message.
type reply = testutil.Reply

// connectAs connects with a token and checks the authenticated first frame.
func (st *stack) connectAs(t testing.TB, user, device string) *testutil.Client {
	t.Helper()
	c := testutil.Dial(t, st.url+"?device_id="+device+"&token="+st.token(t, user, ""))
	if r := c.Read(); r.Code != 200 || r.BodyMap(t)["user_id"] != user {
		t.Fatalf("first frame: %+v", r)
	}
	return c
}

// post sends a JSON body to the HTTP API and returns the status, the
// decoded reply and the response headers.
func (st *stack) post(t testing.TB, path string, body any, header http.Header) (int, reply, http.Header) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, st.api+path, strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	var r reply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("POST %s: reply: %v", path, err)
	}
	return resp.StatusCode, r, resp.Header
}

// tokens are the tokens of a login or refresh reply.
type tokens struct {
	access, refresh string
	expiresIn       float64
}

func tokensOf(t testing.TB, r reply) tokens {
	t.Helper()
	b := r.BodyMap(t)
	tk := tokens{}
	tk.access, _ = b["access_token"].(string)
	tk.refresh, _ = b["refresh_token"].(string)
	tk.expiresIn, _ = b["expires_in"].(float64)
	if r.Code != 200 || tk.access == "" || tk.refresh == "" {
		t.Fatalf("no tokens in %+v", r)
	}
	return tk
}

// httpLogin logs in over HTTP and returns the tokens.
func (st *stack) httpLogin(t testing.TB, user, pass string) tokens {
	t.Helper()
	status, r, _ := st.post(t, "/api/login", map[string]any{"username": user, "password": pass}, nil)
	if status != 200 {
		t.Fatalf("login: %d %+v", status, r)
	}
	return tokensOf(t, r)
}

// connectWith dials with a token and device_id and returns the first frame.
func (st *stack) connectWith(t testing.TB, token, device string) (*testutil.Client, reply) {
	t.Helper()
	q := "?token=" + token
	if device != "" {
		q += "&device_id=" + device
	}
	return testutil.DialFirst(t, st.url+q)
}
