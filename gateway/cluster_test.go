package gateway

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imgate/gateway/cluster"
	"github.com/imgate/gateway/internal/testutil"
)

var _ Cluster = (*cluster.Bus)(nil)

// fakeCluster records publishes and answers requests with answer.
type fakeCluster struct {
	ready  atomic.Bool
	mu     sync.Mutex
	pubs   []string // "user payload"
	reqs   []string // request data
	answer func(cmd int, data []byte) ([]byte, error)
}

func newFakeCluster() *fakeCluster {
	f := &fakeCluster{}
	f.ready.Store(true)
	return f
}

func (f *fakeCluster) Ready() bool { return f.ready.Load() }

func (f *fakeCluster) Publish(user string, payload []byte) error {
	if !f.ready.Load() {
		return cluster.ErrUnavailable
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pubs = append(f.pubs, user+" "+string(payload))
	return nil
}

func (f *fakeCluster) Request(cmd int, data []byte, done func([]byte, error)) error {
	if !f.ready.Load() {
		return cluster.ErrUnavailable
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, string(data))
	f.mu.Unlock()
	go func() { done(f.answer(cmd, data)) }()
	return nil
}

func (f *fakeCluster) published() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.pubs...)
}

func startClusterStack(t *testing.T, fc *fakeCluster) *stack {
	t.Helper()
	o := defaultStackOptions()
	o.cluster = fc
	return startStack(t, o)
}

// SEND in cluster mode: local delivery as before, one publish for to_uid
// and one for the sender's own user, and "routed":true.
func TestSendRouted(t *testing.T) {
	fc := newFakeCluster()
	st := startClusterStack(t, fc)
	alice := st.connectAs(t, "alice", "a1")
	alice2 := st.connectAs(t, "alice", "a2")
	bob := st.connectAs(t, "bob", "b1")
	waitSessions(t, st, 3)

	alice.Send(map[string]any{"cmd_id": 2001, "seq": 1, "body": map[string]any{"to_uid": "bob", "content": "hi"}})
	for _, c := range []*testutil.Client{bob, alice2} {
		if r := c.Read(); r.CmdID != 3001 || r.BodyMap(t)["content"] != "hi" {
			t.Fatalf("push %+v", r)
		}
	}
	r := alice.Read()
	if b := r.BodyMap(t); r.Code != 200 || b["delivered"] != 1.0 || b["routed"] != true {
		t.Fatalf("response %+v", r)
	}
	pubs := fc.published()
	if len(pubs) != 2 || !strings.HasPrefix(pubs[0], `bob {"cmd_id":3001,`) || !strings.HasPrefix(pubs[1], `alice {"cmd_id":3001,`) {
		t.Fatalf("publishes %q", pubs)
	}
	// To a user on no node here: delivered 0, still routed.
	alice.Send(map[string]any{"cmd_id": 2001, "seq": 2, "body": map[string]any{"to_uid": "carol", "content": 1}})
	alice2.Read()
	if b := alice.Read().BodyMap(t); b["delivered"] != 0.0 || b["routed"] != true {
		t.Fatalf("response %v", b)
	}
}

// With the bus down, SEND still reaches this node's sessions; a SEND that
// reaches none of the recipient's answers 503 at once.
func TestSendBusDown(t *testing.T) {
	fc := newFakeCluster()
	st := startClusterStack(t, fc)
	alice := st.connectAs(t, "alice", "a1")
	alice2 := st.connectAs(t, "alice", "a2")
	bob := st.connectAs(t, "bob", "b1")
	waitSessions(t, st, 3)
	fc.ready.Store(false)

	alice.Send(map[string]any{"cmd_id": 2001, "seq": 1, "body": map[string]any{"to_uid": "carol", "content": 1}})
	if r := alice.Read(); r.Code != 503 || r.ErrMsg != "cluster unavailable" || r.Seq != 1 {
		t.Fatalf("response %+v", r)
	}
	alice.Send(map[string]any{"cmd_id": 2001, "seq": 2, "body": map[string]any{"to_uid": "bob", "content": 2}})
	if r := bob.Read(); r.CmdID != 3001 {
		t.Fatalf("bob got %+v", r)
	}
	if r := alice2.Read(); r.CmdID != 3001 || r.BodyMap(t)["content"] != 2.0 {
		t.Fatalf("alice's other device got %+v (the 503'd message must not be synced)", r)
	}
	r := alice.Read()
	if b := r.BodyMap(t); r.Code != 200 || b["delivered"] != 1.0 || b["routed"] != nil {
		t.Fatalf("response %+v", r)
	}
}

func TestBackendCommand(t *testing.T) {
	fc := newFakeCluster()
	fc.answer = func(cmd int, data []byte) ([]byte, error) {
		switch cmd {
		case 10001:
			var req map[string]any
			_ = json.Unmarshal(data, &req)
			b, _ := json.Marshal(map[string]any{"code": 200, "body": map[string]any{"you": req["user_id"], "dev": req["device_id"]}})
			return b, nil
		case 10002:
			return []byte(`{"code":404,"err_msg":"no such room"}`), nil
		case 10003:
			return []byte(`not json`), nil
		case 10004:
			return nil, cluster.ErrTimeout
		}
		return nil, cluster.ErrNoResponders
	}
	st := startClusterStack(t, fc)
	alice := st.connectAs(t, "alice", "a1")
	for _, tc := range []struct {
		name string
		cmd  int
		code int
		body string
		err  string
	}{
		{name: "answered", cmd: 10001, code: 200, body: `{"dev":"a1","you":"alice"}`},
		{name: "backend error", cmd: 10002, code: 404, body: "null", err: "no such room"},
		{name: "bad reply", cmd: 10003, code: 500, body: "null", err: "internal error"},
		{name: "timeout", cmd: 10004, code: 503, body: "null", err: "cluster unavailable: backend timeout"},
		{name: "no backend", cmd: 10009, code: 503, body: "null", err: "cluster unavailable: no backend for cmd_id 10009"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			alice.Send(map[string]any{"cmd_id": tc.cmd, "seq": 77, "body": map[string]any{"q": 1}})
			r := alice.Read()
			var body any
			_ = json.Unmarshal(r.Body, &body)
			got, _ := json.Marshal(body)
			if r.CmdID != tc.cmd || r.Seq != 77 || r.Code != tc.code || string(got) != tc.body || r.ErrMsg != tc.err {
				t.Fatalf("response %+v", r)
			}
		})
	}
	fc.mu.Lock()
	first := fc.reqs[0]
	fc.mu.Unlock()
	var req map[string]any
	if err := json.Unmarshal([]byte(first), &req); err != nil || req["user_id"] != "alice" || req["seq"] != 77.0 ||
		req["cmd_id"] != 10001.0 || req["session_id"] == "" || req["body"].(map[string]any)["q"] != 1.0 {
		t.Fatalf("request %s: %v", first, err)
	}

	// Unauthenticated, and with the bus down.
	anon := testutil.Dial(t, st.url)
	anon.Read()
	anon.Send(map[string]any{"cmd_id": 10001, "seq": 1})
	if r := anon.Read(); r.Code != 401 {
		t.Fatalf("anonymous backend command: %+v", r)
	}
	fc.ready.Store(false)
	alice.Send(map[string]any{"cmd_id": 10001, "seq": 2})
	if r := alice.Read(); r.Code != 503 || r.ErrMsg != "cluster unavailable" {
		t.Fatalf("bus down: %+v", r)
	}
}

// Without a cluster, cmd_id >= 10000 stays an unknown command.
func TestBackendCommandSingleNode(t *testing.T) {
	st := startStack(t, defaultStackOptions())
	alice := st.connectAs(t, "alice", "a1")
	alice.Send(map[string]any{"cmd_id": 10001, "seq": 3})
	if r := alice.Read(); r.Code != 400 || r.ErrMsg != "bad request: unknown cmd_id 10001" || r.Seq != 3 {
		t.Fatalf("response %+v", r)
	}
}

// remotePush: a payload from the bus reaches every local session; junk is
// dropped.
func TestPushRemote(t *testing.T) {
	st := startClusterStack(t, newFakeCluster())
	b1, b2 := st.connectAs(t, "bob", "b1"), st.connectAs(t, "bob", "b2")
	waitSessions(t, st, 2)
	st.gw.PushRemote("bob", []byte("\xff{"))
	st.gw.PushRemote("bob", []byte(`[1]`))
	st.gw.PushRemote("bob", []byte(` {"cmd_id":3001,"code":200,"body":{"content":"x"},"err_msg":""}`))
	for _, c := range []*testutil.Client{b1, b2} {
		if r := c.Read(); r.CmdID != 3001 || r.BodyMap(t)["content"] != "x" {
			t.Fatalf("push %+v", r)
		}
	}
	if st.gw.remote.refused.Load() != 2 || st.gw.remote.pushed.Load() != 1 {
		t.Fatalf("refused %d pushed %d", st.gw.remote.refused.Load(), st.gw.remote.pushed.Load())
	}
}

func waitSessions(t *testing.T, st *stack, n int64) {
	t.Helper()
	deadline := time.Now().Add(testWait)
	for st.hub.SessionCount() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions, want %d", st.hub.SessionCount(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// apiCall makes one HTTP request to the gateway's API and returns the
// status and the decoded reply.
func apiCall(t *testing.T, api http.Handler, method, path, key, body string) (int, reply) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	w := httptest.NewRecorder()
	api.ServeHTTP(w, req)
	raw, _ := io.ReadAll(w.Result().Body)
	var r reply
	if w.Result().Header.Get("Content-Type") == "application/json" {
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatalf("%s %s: %d %q", method, path, w.Code, raw)
		}
	}
	return w.Code, r
}

func TestPushAPI(t *testing.T) {
	o := defaultStackOptions()
	o.adminKey = "admin-key-for-tests"
	st := startStack(t, o)
	api := NewAPI(st.gw, st.srv)
	bob := st.connectAs(t, "bob", "b1")
	waitSessions(t, st, 1)
	for _, tc := range []struct {
		name, key, body string
		status          int
		errMsg          string
		delivered       float64
	}{
		{name: "no key", body: `{"to_uid":"bob","content":1}`, status: 401, errMsg: "not authenticated"},
		{name: "wrong key", key: "admin-key-for-test", body: `{"to_uid":"bob","content":1}`, status: 401, errMsg: "not authenticated"},
		{name: "bad body", key: o.adminKey, body: `{"content":1}`, status: 400, errMsg: "bad request: to_uid missing"},
		{name: "offline user", key: o.adminKey, body: `{"to_uid":"carol","content":1}`, status: 200},
		{name: "delivered", key: o.adminKey, body: `{"to_uid":"bob","content":{"n":"from admin"}}`, status: 200, delivered: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, r := apiCall(t, api, "POST", "/api/push", tc.key, tc.body)
			if status != tc.status || r.ErrMsg != tc.errMsg {
				t.Fatalf("got %d %+v", status, r)
			}
			if status == 200 {
				if b := r.BodyMap(t); b["delivered"] != tc.delivered || b["routed"] != nil {
					t.Fatalf("body %v", b)
				}
			}
		})
	}
	r := bob.Read()
	if b := r.BodyMap(t); r.CmdID != 3001 || b["to_uid"] != "bob" || b["from_uid"] != "" || b["msg_id"] == "" ||
		b["content"].(map[string]any)["n"] != "from admin" {
		t.Fatalf("push %+v", r)
	}

	// No admin key configured: the API is off.
	off := NewAPI(startStack(t, defaultStackOptions()).gw, st.srv)
	if status, r := apiCall(t, off, "POST", "/api/push", "x", `{"to_uid":"bob","content":1}`); status != 403 ||
		!strings.HasPrefix(r.ErrMsg, "forbidden: ") {
		t.Fatalf("without admin key: %d %+v", status, r)
	}
}

// In cluster mode the push is published too; with the bus down it reaches
// local sessions only, and a push that reached nobody answers 503; /readyz
// follows the bus.
func TestPushAPICluster(t *testing.T) {
	fc := newFakeCluster()
	o := defaultStackOptions()
	o.cluster, o.adminKey = fc, "k"
	st := startStack(t, o)
	api := NewAPI(st.gw, st.srv)
	st.connectAs(t, "bob", "b1")
	waitSessions(t, st, 1)

	status, r := apiCall(t, api, "POST", "/api/push", "k", `{"to_uid":"carol","content":1}`)
	if b := r.BodyMap(t); status != 200 || b["delivered"] != 0.0 || b["routed"] != true || len(fc.published()) != 1 {
		t.Fatalf("routed push: %d %+v %q", status, r, fc.published())
	}
	if status, _ := apiCall(t, api, "GET", "/readyz", "", ""); status != 200 {
		t.Fatalf("readyz %d", status)
	}
	fc.ready.Store(false)
	if status, r := apiCall(t, api, "POST", "/api/push", "k", `{"to_uid":"carol","content":1}`); status != 503 ||
		r.ErrMsg != "cluster unavailable" {
		t.Fatalf("push with bus down: %d %+v", status, r)
	}
	if status, r := apiCall(t, api, "POST", "/api/push", "k", `{"to_uid":"bob","content":1}`); status != 200 ||
		r.BodyMap(t)["delivered"] != 1.0 {
		t.Fatalf("local push with bus down: %d %+v", status, r)
	}
	if status, _ := apiCall(t, api, "GET", "/readyz", "", ""); status != 503 {
		t.Fatalf("readyz with bus down: %d", status)
	}
}
