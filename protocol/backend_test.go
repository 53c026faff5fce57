package protocol

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAppendBackendRequest(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  BackendRequest
		want string
	}{
		{name: "with seq", req: BackendRequest{Ref: Ref{CmdID: 10001, Seq: 7, HasCmdID: true, HasSeq: true},
			UserID: "alice", SessionID: "s_1", DeviceID: "web001", Platform: "web", Body: []byte(`{"q":1}`)},
			want: `{"cmd_id":10001,"user_id":"alice","session_id":"s_1","device_id":"web001","platform":"web","seq":7,"body":{"q":1}}`},
		{name: "no seq, no body, escapes", req: BackendRequest{Ref: Ref{CmdID: 10002, HasCmdID: true},
			UserID: `a"b`, SessionID: "s"},
			want: `{"cmd_id":10002,"user_id":"a\"b","session_id":"s","device_id":"","platform":"","body":null}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := AppendBackendRequest(nil, &tc.req)
			if string(got) != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
			if !json.Valid(got) {
				t.Fatal("not JSON")
			}
		})
	}
}

func TestDecodeBackendReply(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     BackendReply
		err      bool
	}{
		{name: "full", in: `{"code":201,"body":{"a":[1]},"err_msg":""}`, want: BackendReply{Code: 201, Body: []byte(`{"a":[1]}`)}},
		{name: "defaults", in: `{}`, want: BackendReply{Code: 200}},
		{name: "error", in: `{"code":404,"body":null,"err_msg":"no such room"}`, want: BackendReply{Code: 404, ErrMsg: "no such room"}},
		{name: "escaped err_msg", in: `{"code":409,"err_msg":"a\u0062c"}`, want: BackendReply{Code: 409, ErrMsg: "abc"}},
		{name: "unknown keys ignored", in: `{"x":1,"body":{}}`, want: BackendReply{Code: 200, Body: []byte(`{}`)}},
		{name: "code too small", in: `{"code":99}`, err: true},
		{name: "code too big", in: `{"code":600}`, err: true},
		{name: "code not integer", in: `{"code":"200"}`, err: true},
		{name: "body not object", in: `{"body":[1]}`, err: true},
		{name: "err_msg not string", in: `{"err_msg":1}`, err: true},
		{name: "err_msg too long", in: `{"err_msg":"` + strings.Repeat("x", MaxBackendErrLen+1) + `"}`, err: true},
		{name: "duplicate", in: `{"code":200,"code":500}`, err: true},
		{name: "not an object", in: `[]`, err: true},
		{name: "not JSON", in: `{"code":`, err: true},
		{name: "empty", in: ``, err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r BackendReply
			err := DecodeBackendReply([]byte(tc.in), &r)
			if tc.err {
				if err == nil {
					t.Fatalf("accepted: %+v", r)
				}
				checkWireError(t, err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Code != tc.want.Code || string(r.Body) != string(tc.want.Body) || r.ErrMsg != tc.want.ErrMsg {
				t.Fatalf("got %+v, want %+v", r, tc.want)
			}
		})
	}
}

func FuzzDecodeBackendReply(f *testing.F) {
	for i, s := range []string{
		`{"code":200,"body":{"a":1},"err_msg":""}`,
		`{"code":503,"err_msg":"busy \u00e9"}`,
		`{"code":-1}`,
		`{"body":"x"}`,
		`{"err_msg":"` + strings.Repeat(`\n`, 600) + `"}`,
		`{"code":1e3}`,
	} {
		f.Add([]byte(s), uint(i*3))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint) {
		var r BackendReply
		buf := splitFeed(data, cut, func(piece []byte) { _ = DecodeBackendReply(piece, &r) })
		if err := DecodeBackendReply(buf, &r); err != nil {
			checkWireError(t, err)
			return
		}
		if !json.Valid(data) || r.Code < 100 || r.Code > 599 || len(r.ErrMsg) > MaxBackendErrLen || !utf8.ValidString(r.ErrMsg) {
			t.Fatalf("accepted %q as %+v", data, r)
		}
		resp := AppendResponse(nil, Ref{CmdID: 10001, Seq: 1, HasCmdID: true, HasSeq: true}, r.Code, r.Body, r.ErrMsg)
		if !json.Valid(resp) {
			t.Fatalf("response not JSON: %q", resp)
		}
	})
}
