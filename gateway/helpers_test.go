package gateway

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
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

// client is a test WebSocket client over a real socket.
type client struct {
	t    testing.TB
	conn net.Conn
	rd   *bufio.Reader
}

// dial connects with an optional query and headers.
func dial(t testing.TB, url string, header http.Header) *client {
	t.Helper()
	if header == nil {
		header = http.Header{}
	}
	var protocols []string
	if p := header["Sec-WebSocket-Protocol"]; len(p) > 0 {
		protocols = strings.Split(p[0], ", ")
		delete(header, "Sec-WebSocket-Protocol")
	}
	d := ws.Dialer{Timeout: testWait, Header: ws.HandshakeHeaderHTTP(header), Protocols: protocols}
	conn, br, _, err := d.Dial(context.Background(), url)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { conn.Close() })
	if br == nil {
		br = bufio.NewReader(conn)
	}
	return &client{t: t, conn: conn, rd: br}
}

// reply is any server message.
type reply struct {
	CmdID  int             `json:"cmd_id"`
	Seq    int64           `json:"seq"`
	Code   int             `json:"code"`
	Body   json.RawMessage `json:"body"`
	ErrMsg string          `json:"err_msg"`
}

func (r reply) body(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body %s: %v", r.Body, err)
	}
	return m
}

// read returns the next text message, failing on a close or timeout.
func (c *client) read() reply {
	c.t.Helper()
	r, err := c.tryRead()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return r
}

func (c *client) tryRead() (reply, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(testWait))
	for {
		h, err := ws.ReadHeader(c.rd)
		if err != nil {
			return reply{}, err
		}
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(c.rd, p); err != nil {
			return reply{}, err
		}
		switch h.OpCode {
		case ws.OpPing:
			_ = wsutil.WriteClientMessage(c.conn, ws.OpPong, p)
			continue
		case ws.OpClose:
			return reply{}, closeError{code: closeCode(p), raw: p}
		}
		var r reply
		if err := json.Unmarshal(p, &r); err != nil {
			return reply{}, fmt.Errorf("bad json %q: %w", p, err)
		}
		registerTokens(r.Body)
		return r, nil
	}
}

type closeError struct {
	code uint16
	raw  []byte
}

func (e closeError) Error() string { return fmt.Sprintf("close %d %q", e.code, e.raw) }

func closeCode(p []byte) uint16 {
	if len(p) < 2 {
		return 1005
	}
	return binary.BigEndian.Uint16(p)
}

// expectClose reads until the server's close frame and returns its code.
func (c *client) expectClose() uint16 {
	c.t.Helper()
	for {
		_, err := c.tryRead()
		var ce closeError
		if errors.As(err, &ce) {
			return ce.code
		}
		if err != nil {
			c.t.Fatalf("want a close frame, got %v", err)
		}
	}
}

func (c *client) send(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(ws.OpText, b)
}

func (c *client) sendRaw(op ws.OpCode, b []byte) {
	c.t.Helper()
	if err := wsutil.WriteClientMessage(c.conn, op, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// login logs in with LOGIN on an open connection and returns the reply.
func (c *client) login(user, pass string, seq int) reply {
	c.t.Helper()
	c.send(map[string]any{"cmd_id": 1001, "seq": seq, "from_uid": user, "device_id": "dev_" + user,
		"platform": "test", "body": map[string]any{"username": user, "password": pass}})
	return c.read()
}

// connectAs connects with a token and checks the authenticated first frame.
func (st *stack) connectAs(t testing.TB, user, device string) *client {
	t.Helper()
	c := dial(t, st.url+"?device_id="+device+"&token="+st.token(t, user, ""), nil)
	if r := c.read(); r.Code != 200 || r.body(t)["user_id"] != user {
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
	b := r.body(t)
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

// refreshCmd sends REFRESH (1004) on c and returns the reply.
func (c *client) refreshCmd(token string, seq int) reply {
	c.t.Helper()
	c.send(map[string]any{"cmd_id": 1004, "seq": seq, "body": map[string]any{"refresh_token": token}})
	return c.read()
}

// expectKicked reads until a 3003 push, checks its reason, then expects
// close 4003.
func (c *client) expectKicked(reason string) {
	c.t.Helper()
	for {
		r := c.read()
		if r.CmdID != 3003 {
			continue
		}
		if got := r.body(c.t)["reason"]; r.Code != 200 || got != reason {
			c.t.Fatalf("3003 %+v, want reason %q", r, reason)
		}
		break
	}
	if code := c.expectClose(); code != 4003 {
		c.t.Fatalf("close %d after 3003, want 4003", code)
	}
}

// connectWith dials with a token and device_id and returns the first frame.
func (st *stack) connectWith(t testing.TB, token, device string) (*client, reply) {
	t.Helper()
	q := "?token=" + token
	if device != "" {
		q += "&device_id=" + device
	}
	c := dial(t, st.url+q, nil)
	return c, c.read()
}

// eventually polls cond until it returns nil, failing after timeout.
func eventually(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not after %v: %v", timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// waitChan receives from ch, failing after testWait.
func waitChan[T any](t testing.TB, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(testWait):
		t.Fatal("timed out")
		panic("unreachable")
	}
}
