package gateway

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/imgate/gateway/internal/testutil"
	"github.com/imgate/gateway/internal/testutil/authtest"
	"github.com/imgate/gateway/protocol"
)

// The exact first frames of PROTOCOL.md §2, one per way of connecting.
func TestFirstFrame(t *testing.T) {
	st := startStack(t, defaultStackOptions())
	tok := testutil.Token(t, st.auth, "alice", "")
	expired := authtest.Mint(t, testSecret, "alice", time.Hour)
	for _, tc := range []struct {
		name    string
		query   string
		header  http.Header
		code    int
		message string
		errMsg  string
	}{
		{name: "query", query: "?token=" + url.QueryEscape(tok) + "&device_id=web001&platform=web",
			code: 200, message: protocol.MsgConnectedAuthenticated},
		{name: "header", header: http.Header{"Authorization": {"Bearer " + tok}},
			code: 200, message: protocol.MsgConnectedAuthenticated},
		{name: "subprotocol", header: http.Header{"Sec-WebSocket-Protocol": {"gateway.v1, bearer." + tok}},
			code: 200, message: protocol.MsgConnectedAuthenticated},
		{name: "no token", code: 200, message: protocol.MsgConnectedAnonymous},
		{name: "invalid token", query: "?token=not.a.jwt", code: 401, errMsg: protocol.MsgTokenInvalid},
		{name: "expired token", query: "?token=" + expired, code: 401, errMsg: protocol.MsgTokenExpiredHello},
		{name: "query wins over header", query: "?token=bad", header: http.Header{"Authorization": {"Bearer " + tok}},
			code: 401, errMsg: protocol.MsgTokenInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := testutil.Dial(t, st.url+tc.query, testutil.WithHeader(tc.header)).Read()
			if r.Code != tc.code || r.ErrMsg != tc.errMsg {
				t.Fatalf("got code %d err_msg %q, want %d %q", r.Code, r.ErrMsg, tc.code, tc.errMsg)
			}
			if tc.code != 200 {
				if string(r.Body) != "null" {
					t.Errorf("body %s, want null", r.Body)
				}
				return
			}
			b := r.BodyMap(t)
			if b["message"] != tc.message || b["session_id"] == "" {
				t.Errorf("body %v", b)
			}
			if tc.message == protocol.MsgConnectedAuthenticated && (b["user_id"] != "alice" || b["expires_at"] == nil) {
				t.Errorf("body %v lacks user_id or expires_at", b)
			}
		})
	}
}

// The seed's fallback: a refused token, then LOGIN on the same socket.
func TestInvalidTokenThenLogin(t *testing.T) {
	st := startStack(t, defaultStackOptions())
	c := testutil.Dial(t, st.url+"?token=garbage")
	if r := c.Read(); r.Code != 401 {
		t.Fatalf("first frame %+v", r)
	}
	r := c.Login("user123", "password123", 7)
	b := r.BodyMap(t)
	if r.CmdID != 1001 || r.Seq != 7 || r.Code != 200 || b["message"] != "Login successful" || b["user_id"] != "user123" {
		t.Fatalf("login reply %+v", r)
	}
	for _, k := range []string{"session_id", "access_token", "refresh_token", "expires_in"} {
		if b[k] == nil || b[k] == "" {
			t.Errorf("login body lacks %s: %v", k, b)
		}
	}
	// The issued access token works for a new connection.
	c2 := testutil.Dial(t, st.url+"?token="+b["access_token"].(string))
	if r := c2.Read(); r.Code != 200 || r.BodyMap(t)["user_id"] != "user123" {
		t.Fatalf("token from login: %+v", r)
	}
}

func TestLoginFailures(t *testing.T) {
	st := startStack(t, defaultStackOptions())
	c := testutil.Dial(t, st.url)
	c.Read()
	if r := c.Login("user123", "wrong", 1); r.Code != 401 || r.ErrMsg != protocol.ErrMsgBadCredentials || r.Seq != 1 {
		t.Errorf("wrong password: %+v", r)
	}
	if r := c.Login("nobody", "password123", 2); r.Code != 401 || r.ErrMsg != protocol.ErrMsgBadCredentials {
		t.Errorf("unknown user: %+v", r)
	}
	c.Send(map[string]any{"cmd_id": 1001, "seq": 3, "body": map[string]any{"username": "x"}})
	if r := c.Read(); r.Code != 400 || !strings.HasPrefix(r.ErrMsg, "bad request: ") {
		t.Errorf("missing password: %+v", r)
	}
}

// Commands that need a session, and the errors of PROTOCOL.md §3.
func TestErrors(t *testing.T) {
	st := startStack(t, defaultStackOptions())
	anon := testutil.Dial(t, st.url)
	anon.Read()
	alice := st.connectAs(t, "alice", "a1")
	for _, tc := range []struct {
		name   string
		c      *testutil.Client
		msg    string
		binary bool
		code   int
		errMsg string // prefix
	}{
		{"send unauthenticated", anon, `{"cmd_id":2001,"seq":1,"body":{"to_uid":"bob","content":"x"}}`, false, 401, "not authenticated"},
		{"logout unauthenticated", anon, `{"cmd_id":1002,"seq":1,"body":{}}`, false, 401, "not authenticated"},
		{"from_uid mismatch", alice, `{"cmd_id":2001,"seq":2,"from_uid":"bob","body":{"to_uid":"bob","content":"x"}}`, false, 403, "forbidden: "},
		{"unknown cmd", alice, `{"cmd_id":9999,"seq":3,"body":{}}`, false, 400, "bad request: "},
		{"malformed json", alice, `{"cmd_id":`, false, 400, "bad request: "},
		{"missing to_uid", alice, `{"cmd_id":2001,"seq":4,"body":{"content":"x"}}`, false, 400, "bad request: "},
		{"binary frame", alice, `{}`, true, 400, "bad request: binary frames are not supported"},
		{"bad refresh token", anon, `{"cmd_id":1004,"seq":5,"body":{"refresh_token":"nope"}}`, false, 401, "invalid refresh token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op := ws.OpText
			if tc.binary {
				op = ws.OpBinary
			}
			tc.c.SendRaw(op, []byte(tc.msg))
			r := tc.c.Read()
			if r.Code != tc.code || !strings.HasPrefix(r.ErrMsg, tc.errMsg) || string(r.Body) != "null" {
				t.Fatalf("got %+v, want %d %q", r, tc.code, tc.errMsg)
			}
		})
	}
	// Heartbeat works without a session; the connection is still usable.
	anon.Send(map[string]any{"cmd_id": 1003, "seq": 9, "body": map[string]any{}})
	if r := anon.Read(); r.Code != 200 || r.Seq != 9 || r.BodyMap(t)["server_time"] == nil {
		t.Fatalf("heartbeat: %+v", r)
	}
}

// alice → bob reaches both of bob's devices and alice's second device.
func TestDelivery(t *testing.T) {
	st := startStack(t, defaultStackOptions())
	alice1 := st.connectAs(t, "alice", "a1")
	alice2 := st.connectAs(t, "alice", "a2")
	bob1 := st.connectAs(t, "bob", "b1")
	bob2 := testutil.Dial(t, st.url) // bob's second device logs in with a password
	bob2.Read()
	if r := bob2.Login("bob", "bob123", 1); r.Code != 200 {
		t.Fatalf("bob login: %+v", r)
	}
	alice1.Send(map[string]any{"cmd_id": 2001, "seq": 42, "from_uid": "alice",
		"body": map[string]any{"to_uid": "bob", "content": map[string]any{"text": "hello"}, "client_msg_id": "c1"}})
	res := alice1.Read()
	if res.CmdID != 2001 || res.Seq != 42 || res.Code != 200 || res.BodyMap(t)["delivered"] != float64(2) {
		t.Fatalf("send result %+v", res)
	}
	msgID := res.BodyMap(t)["msg_id"]
	for name, c := range map[string]*testutil.Client{"bob1": bob1, "bob2": bob2, "alice2": alice2} {
		r := c.Read()
		b := r.BodyMap(t)
		content, _ := b["content"].(map[string]any)
		if r.CmdID != 3001 || r.Code != 200 || b["msg_id"] != msgID || b["from_uid"] != "alice" ||
			b["from_device"] != "a1" || b["to_uid"] != "bob" || content["text"] != "hello" ||
			b["client_msg_id"] != "c1" || b["ts"] == nil {
			t.Errorf("%s got %+v %v", name, r, b)
		}
	}
	// And back: bob → alice reaches both of alice's devices.
	bob1.Send(map[string]any{"cmd_id": 2001, "seq": 1, "body": map[string]any{"to_uid": "alice", "content": "hi"}})
	if r := bob1.Read(); r.BodyMap(t)["delivered"] != float64(2) {
		t.Fatalf("bob's send: %+v", r)
	}
	for _, c := range []*testutil.Client{alice1, alice2, bob2} {
		if r := c.Read(); r.CmdID != 3001 || r.BodyMap(t)["content"] != "hi" {
			t.Errorf("got %+v", r)
		}
	}
	// A user nobody is connected as gets nothing and the sender learns 0.
	alice1.Send(map[string]any{"cmd_id": 2001, "seq": 2, "body": map[string]any{"to_uid": "carol", "content": 1}})
	if r := alice1.Read(); r.BodyMap(t)["delivered"] != float64(0) {
		t.Fatalf("send to offline user: %+v", r)
	}
}

func TestLogoutLeavesHub(t *testing.T) {
	st := startStack(t, defaultStackOptions())
	alice := st.connectAs(t, "alice", "a1")
	bob := st.connectAs(t, "bob", "b1")
	bob.Send(map[string]any{"cmd_id": 1002, "seq": 1, "body": map[string]any{}})
	if r := bob.Read(); r.Code != 200 || r.BodyMap(t)["message"] != "Logged out" {
		t.Fatalf("logout: %+v", r)
	}
	alice.Send(map[string]any{"cmd_id": 2001, "seq": 2, "body": map[string]any{"to_uid": "bob", "content": "x"}})
	if r := alice.Read(); r.BodyMap(t)["delivered"] != float64(0) {
		t.Fatalf("delivered to a logged-out session: %+v", r)
	}
}

func TestDeviceBoundToken(t *testing.T) {
	st := startStack(t, defaultStackOptions())
	tok := testutil.Token(t, st.auth, "alice", "phone1")
	if r := testutil.Dial(t, st.url+"?device_id=phone1&token="+tok).Read(); r.Code != 200 {
		t.Fatalf("right device: %+v", r)
	}
	if r := testutil.Dial(t, st.url+"?device_id=laptop&token="+tok).Read(); r.Code != 401 {
		t.Fatalf("wrong device: %+v", r)
	}
}

func TestRefreshInBand(t *testing.T) {
	st := startStack(t, defaultStackOptions())
	c := testutil.Dial(t, st.url)
	c.Read()
	b := c.Login("alice", "alice123", 1).BodyMap(t)
	c2 := testutil.Dial(t, st.url)
	c2.Read()
	c2.Send(map[string]any{"cmd_id": 1004, "seq": 2, "body": map[string]any{"refresh_token": b["refresh_token"]}})
	r := c2.Read()
	if r.Code != 200 || r.BodyMap(t)["user_id"] != "alice" || r.BodyMap(t)["access_token"] == "" {
		t.Fatalf("refresh: %+v", r)
	}
	// The refreshed connection is a session of alice.
	c.Send(map[string]any{"cmd_id": 2001, "seq": 3, "body": map[string]any{"to_uid": "alice", "content": "self"}})
	if r := c.Read(); r.BodyMap(t)["delivered"] != float64(1) {
		t.Fatalf("send to own other session: %+v", r)
	}
}
