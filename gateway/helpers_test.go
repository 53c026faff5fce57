package gateway

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/hub"
	"github.com/imgate/gateway/internal/testlog"
	"github.com/imgate/gateway/internal/testutil"
	"github.com/imgate/gateway/internal/testutil/authtest"
	"github.com/imgate/gateway/internal/testutil/enginetest"
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
	eo := enginetest.Options()
	eo.IdleTimeout, eo.Logger = 30*time.Second, testlog.Logger()
	return stackOptions{engine: eo, loginTimeout: 10 * time.Second}
}

func startStack(t testing.TB, o stackOptions) *stack {
	t.Helper()
	acfg := auth.Config{Secret: testSecret, Users: authtest.DemoUsers(t)}
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
	srv := enginetest.Serve(t, gw, o.engine)
	api := httptest.NewServer(NewAPI(gw, srv.Server))
	var once sync.Once
	stop := func() {
		once.Do(func() {
			api.Close()
			srv.Stop()
			gw.CloseInbox()
			h.Close()
			am.Close()
		})
	}
	t.Cleanup(stop)
	return &stack{auth: am, hub: h, gw: gw, srv: srv.Server, url: srv.URL, api: api.URL, stop: stop}
}

// reply is any server message.
type reply = testutil.Reply

// connectAs connects with a token and checks the authenticated first frame.
func (st *stack) connectAs(t testing.TB, user, device string) *testutil.Client {
	t.Helper()
	c := testutil.Dial(t, st.url+"?device_id="+device+"&token="+testutil.Token(t, st.auth, user, ""))
	if r := c.Read(); r.Code != 200 || r.BodyMap(t)["user_id"] != user {
		t.Fatalf("first frame: %+v", r)
	}
	return c
}

// post sends a JSON body to the HTTP API and returns the status, the
// decoded reply and the response headers.
func (st *stack) post(t testing.TB, path string, body any, header http.Header) (int, reply, http.Header) {
	t.Helper()
	return testutil.Post(t, st.api+path, body, header)
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
