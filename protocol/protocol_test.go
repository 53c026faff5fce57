package protocol

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestFirstFrames checks every first frame of PROTOCOL.md §2.
func TestFirstFrames(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  []byte
		want string
	}{
		{
			name: "valid token",
			got:  AppendHelloAuthenticated(nil, "s-01HZX", "user123", 1790000000),
			want: `{"code":200,"body":{"message":"Connected and authenticated successfully","session_id":"s-01HZX","user_id":"user123","expires_at":1790000000},"err_msg":""}`,
		},
		{
			name: "no token",
			got:  AppendHelloAnonymous(nil, "s-01HZX"),
			want: `{"code":200,"body":{"message":"Connected successfully. Please login or provide token.","session_id":"s-01HZX"},"err_msg":""}`,
		},
		{
			name: "invalid token",
			got:  AppendHelloInvalidToken(nil),
			want: `{"code":401,"body":null,"err_msg":"Token authentication failed. Please login."}`,
		},
		{
			name: "expired token",
			got:  AppendHelloExpiredToken(nil),
			want: `{"code":401,"body":null,"err_msg":"Token authentication failed: token expired. Please login."}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertJSON(t, tc.got, tc.want, true)
		})
	}
}

// TestSeedClientChecks runs the checks the seed's clients make on what they
// receive.
func TestSeedClientChecks(t *testing.T) {
	var r struct {
		Code   int             `json:"code"`
		Body   json.RawMessage `json:"body"`
		ErrMsg string          `json:"err_msg"`
	}
	for _, b := range [][]byte{AppendHelloExpiredToken(nil), AppendTokenExpiredPush(nil)} {
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		if r.Code != 401 || !strings.Contains(r.ErrMsg, "token expired") {
			t.Fatalf("seed check response.code === 401 && err_msg.includes('token expired') fails on %s", b)
		}
	}
	var ok struct {
		Code int `json:"code"`
		Body struct {
			Message string `json:"message"`
		} `json:"body"`
	}
	if err := json.Unmarshal(AppendHelloAnonymous(nil, "s"), &ok); err != nil || ok.Code != 200 || ok.Body.Message == "" {
		t.Fatalf("seed check response.code === 200 && response.body.message fails: %+v %v", ok, err)
	}
}

var ref1001 = Ref{CmdID: CmdLogin, Seq: 7, HasCmdID: true, HasSeq: true}

// TestResponses checks the responses and success bodies of PROTOCOL.md §3.
func TestResponses(t *testing.T) {
	login := LoginResult{UserID: "user123", SessionID: "s-1", Tokens: Tokens{AccessToken: "eyJ.a.b", RefreshToken: "r-1", ExpiresIn: 900}}
	for _, tc := range []struct {
		name string
		got  []byte
		want string
	}{
		{
			name: "generic response",
			got:  AppendOK(nil, ref1001, []byte(`{"k":1}`)),
			want: `{"cmd_id":1001,"seq":7,"code":200,"body":{"k":1},"err_msg":""}`,
		},
		{
			name: "no seq in request",
			got:  AppendOK(nil, Ref{CmdID: CmdHeartbeat, HasCmdID: true}, AppendHeartbeatBody(nil, 1790000000123)),
			want: `{"cmd_id":1003,"code":200,"body":{"server_time":1790000000123},"err_msg":""}`,
		},
		{
			name: "null body",
			got:  AppendResponse(nil, ref1001, 200, nil, ""),
			want: `{"cmd_id":1001,"seq":7,"code":200,"body":null,"err_msg":""}`,
		},
		{
			name: "1001 LOGIN",
			got:  AppendOK(nil, ref1001, AppendLoginBody(nil, &login)),
			want: `{"cmd_id":1001,"seq":7,"code":200,"body":{"message":"Login successful","user_id":"user123","session_id":"s-1","access_token":"eyJ.a.b","refresh_token":"r-1","expires_in":900},"err_msg":""}`,
		},
		{
			name: "1002 LOGOUT",
			got:  AppendOK(nil, Ref{CmdID: CmdLogout, HasCmdID: true}, AppendLogoutBody(nil)),
			want: `{"cmd_id":1002,"code":200,"body":{"message":"Logged out"},"err_msg":""}`,
		},
		{
			name: "1004 REFRESH",
			got:  AppendOK(nil, Ref{CmdID: CmdRefresh, Seq: -1, HasCmdID: true, HasSeq: true}, AppendTokensBody(nil, &login.Tokens)),
			want: `{"cmd_id":1004,"seq":-1,"code":200,"body":{"access_token":"eyJ.a.b","refresh_token":"r-1","expires_in":900},"err_msg":""}`,
		},
		{
			name: "2001 SEND",
			got:  AppendOK(nil, Ref{CmdID: CmdSend, Seq: 9, HasCmdID: true, HasSeq: true}, AppendSendResultBody(nil, &SendResult{MsgID: "m-1", Delivered: 2})),
			want: `{"cmd_id":2001,"seq":9,"code":200,"body":{"msg_id":"m-1","delivered":2},"err_msg":""}`,
		},
		{
			name: "2001 SEND routed",
			got:  AppendSendResultBody(nil, &SendResult{MsgID: "m-1", Routed: true}),
			want: `{"msg_id":"m-1","delivered":0,"routed":true}`,
		},
		{
			name: "HTTP refresh-token",
			got:  AppendOK(nil, Ref{}, AppendTokensBody(nil, &login.Tokens)),
			want: `{"code":200,"body":{"access_token":"eyJ.a.b","refresh_token":"r-1","expires_in":900},"err_msg":""}`,
		},
		{
			name: "HTTP push",
			got:  AppendOK(nil, Ref{}, AppendDeliveredBody(nil, 3)),
			want: `{"code":200,"body":{"delivered":3},"err_msg":""}`,
		},
		{
			name: "HTTP kick",
			got:  AppendOK(nil, Ref{}, AppendKickCountBody(nil, 1)),
			want: `{"code":200,"body":{"kicked":1},"err_msg":""}`,
		},
		{
			name: "head and tail in one buffer",
			got:  AppendResponseTail(AppendLogoutBody(AppendResponseHead(nil, ref1001, CodeOK)), ""),
			want: `{"cmd_id":1001,"seq":7,"code":200,"body":{"message":"Logged out"},"err_msg":""}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertJSON(t, tc.got, tc.want, true)
		})
	}
}

// TestPushes checks the pushes of PROTOCOL.md §3.
func TestPushes(t *testing.T) {
	msg := Message{MsgID: "m-1", FromUID: "user123", FromDevice: "web001", ToUID: "user456", Content: []byte(`{"text": "hi"}`), TS: 1790000000123}
	withID := msg
	withID.ClientMsgID = "c-1"
	for _, tc := range []struct {
		name string
		got  []byte
		want string
	}{
		{
			name: "generic push",
			got:  AppendPush(nil, CmdMessage, CodeOK, []byte(`{}`), ""),
			want: `{"cmd_id":3001,"code":200,"body":{},"err_msg":""}`,
		},
		{
			name: "3001 MESSAGE",
			got:  AppendMessagePush(nil, &msg),
			want: `{"cmd_id":3001,"code":200,"body":{"msg_id":"m-1","from_uid":"user123","from_device":"web001","to_uid":"user456","content":{"text": "hi"},"ts":1790000000123},"err_msg":""}`,
		},
		{
			name: "3001 MESSAGE client_msg_id",
			got:  AppendMessagePush(nil, &withID),
			want: `{"cmd_id":3001,"code":200,"body":{"msg_id":"m-1","from_uid":"user123","from_device":"web001","to_uid":"user456","content":{"text": "hi"},"client_msg_id":"c-1","ts":1790000000123},"err_msg":""}`,
		},
		{
			name: "3001 MESSAGE as generic push",
			got:  AppendPush(nil, CmdMessage, CodeOK, AppendMessageBody(nil, &withID), ""),
			want: string(AppendMessagePush(nil, &withID)),
		},
		{
			name: "3003 KICKED",
			got:  AppendKickedPush(nil, "logged in on another device"),
			want: `{"cmd_id":3003,"code":200,"body":{"reason":"logged in on another device"},"err_msg":""}`,
		},
		{
			name: "3004 TOKEN_EXPIRED",
			got:  AppendTokenExpiredPush(nil),
			want: `{"cmd_id":3004,"code":401,"body":null,"err_msg":"token expired"}`,
		},
		{
			name: "3004 TOKEN_EXPIRED as generic push",
			got:  AppendPush(nil, CmdTokenExpired, CodeUnauthorized, nil, ErrMsgTokenExpired),
			want: `{"cmd_id":3004,"code":401,"body":null,"err_msg":"token expired"}`,
		},
		{
			name: "3005 RECONNECT",
			got:  AppendReconnectPush(nil, "server draining", 2500),
			want: `{"cmd_id":3005,"code":200,"body":{"reason":"server draining","retry_after_ms":2500},"err_msg":""}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertJSON(t, tc.got, tc.want, true)
		})
	}
}

// TestErrorResponses checks every row of the error table of PROTOCOL.md §3.
func TestErrorResponses(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  *Error
		want string
	}{
		{"400 malformed", BadRequest("invalid JSON at offset 3"), `{"cmd_id":1001,"seq":7,"code":400,"body":null,"err_msg":"bad request: invalid JSON at offset 3"}`},
		{"400 unknown cmd_id", UnknownCommand(9999), `{"cmd_id":1001,"seq":7,"code":400,"body":null,"err_msg":"bad request: unknown cmd_id 9999"}`},
		{"400 binary frame", ErrBinaryFrame, `{"cmd_id":1001,"seq":7,"code":400,"body":null,"err_msg":"bad request: binary frames are not supported"}`},
		{"401 needs auth", ErrNotAuthenticated, `{"cmd_id":1001,"seq":7,"code":401,"body":null,"err_msg":"not authenticated"}`},
		{"401 credentials", ErrBadCredentials, `{"cmd_id":1001,"seq":7,"code":401,"body":null,"err_msg":"invalid username or password"}`},
		{"401 expired", ErrTokenExpired, `{"cmd_id":1001,"seq":7,"code":401,"body":null,"err_msg":"token expired"}`},
		{"401 refresh", ErrInvalidRefreshToken, `{"cmd_id":1001,"seq":7,"code":401,"body":null,"err_msg":"invalid refresh token"}`},
		{"403 from_uid", Forbidden("from_uid mismatch"), `{"cmd_id":1001,"seq":7,"code":403,"body":null,"err_msg":"forbidden: from_uid mismatch"}`},
		{"413", ErrMessageTooLarge, `{"cmd_id":1001,"seq":7,"code":413,"body":null,"err_msg":"message too large"}`},
		{"429", ErrTooManyRequests, `{"cmd_id":1001,"seq":7,"code":429,"body":null,"err_msg":"too many requests"}`},
		{"500", ErrInternal, `{"cmd_id":1001,"seq":7,"code":500,"body":null,"err_msg":"internal error"}`},
		{"503", ErrClusterUnavailable, `{"cmd_id":1001,"seq":7,"code":503,"body":null,"err_msg":"cluster unavailable"}`},
		{"nil is internal", nil, `{"cmd_id":1001,"seq":7,"code":500,"body":null,"err_msg":"internal error"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertJSON(t, AppendError(nil, ref1001, tc.err), tc.want, true)
		})
	}
	t.Run("binary frame detail", func(t *testing.T) {
		if !strings.Contains(ErrBinaryFrame.Msg, "binary frames are not supported") {
			t.Fatal(ErrBinaryFrame.Msg)
		}
	})
	t.Run("no ref", func(t *testing.T) {
		assertJSON(t, AppendError(nil, Ref{}, BadRequest("x")), `{"code":400,"body":null,"err_msg":"bad request: x"}`, true)
	})
}

// TestSeedRequests decodes the request envelopes of PROTOCOL.md §3 and the
// login messages of the seed's JavaScript and Python clients.
func TestSeedRequests(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want Envelope
		body string
	}{
		{
			name: "PROTOCOL example",
			in:   `{"cmd_id":1001,"seq":7,"from_uid":"user123","device_id":"web001","platform":"web","body":{"username":"user123","password":"password123"}}`,
			want: Envelope{Ref: ref1001, FromUID: "user123", DeviceID: "web001", Platform: "web"},
			body: `{"username":"user123","password":"password123"}`,
		},
		{
			name: "seed JavaScript JSON.stringify",
			in:   `{"cmd_id":1001,"from_uid":"user123","device_id":"web_k3j4h5g6a","platform":"web","body":{"username":"user123","password":"password123"}}`,
			want: Envelope{Ref: Ref{CmdID: 1001, HasCmdID: true}, FromUID: "user123", DeviceID: "web_k3j4h5g6a", Platform: "web"},
			body: `{"username":"user123","password":"password123"}`,
		},
		{
			name: "seed Python json.dumps",
			in:   `{"cmd_id": 1001, "from_uid": "user123", "device_id": "python_client", "platform": "python", "body": {"username": "user123", "password": "password123"}}`,
			want: Envelope{Ref: Ref{CmdID: 1001, HasCmdID: true}, FromUID: "user123", DeviceID: "python_client", Platform: "python"},
			body: `{"username": "user123", "password": "password123"}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var env Envelope
			if err := DecodeEnvelope([]byte(tc.in), &env); err != nil {
				t.Fatal(err)
			}
			body := string(env.Body)
			env.Body = nil
			if !reflect.DeepEqual(env, tc.want) || body != tc.body {
				t.Fatalf("got %+v body %s\nwant %+v body %s", env, body, tc.want, tc.body)
			}
			var l Login
			if err := DecodeLogin([]byte(body), &l); err != nil || l != (Login{Username: "user123", Password: "password123"}) {
				t.Fatalf("login %+v %v", l, err)
			}
		})
	}
}

func TestCommandName(t *testing.T) {
	for _, tc := range []struct {
		id   int
		want string
	}{
		{CmdLogin, "LOGIN"}, {CmdLogout, "LOGOUT"}, {CmdHeartbeat, "HEARTBEAT"}, {CmdRefresh, "REFRESH"},
		{CmdSend, "SEND"}, {CmdMessage, "MESSAGE"}, {CmdKicked, "KICKED"}, {CmdTokenExpired, "TOKEN_EXPIRED"},
		{CmdReconnect, "RECONNECT"}, {3002, ""}, {0, ""},
	} {
		if got := CommandName(tc.id); got != tc.want {
			t.Errorf("CommandName(%d) = %q, want %q", tc.id, got, tc.want)
		}
	}
}
