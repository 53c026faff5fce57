package protocol

import (
	"reflect"
	"strings"
	"testing"
)

func TestDecodeLogin(t *testing.T) {
	long := strings.Repeat("u", MaxIDLen+1)
	for _, tc := range []struct {
		name string
		in   []byte
		want Login
		msg  string
	}{
		{name: "ok", in: []byte(`{"username":"user123","password":"password123"}`), want: Login{Username: "user123", Password: "password123"}},
		{name: "escapes", in: []byte(`{"username":"us\u0065r","password":"p\"w\\d"}`), want: Login{Username: "user", Password: `p"w\d`}},
		{name: "extra keys", in: []byte(`{"username":"u","password":"p","remember":true}`), want: Login{Username: "u", Password: "p"}},
		{name: "nil body", in: nil, msg: "bad request: body missing"},
		{name: "empty body", in: []byte{}, msg: "bad request: body is not an object"},
		{name: "array", in: []byte(`[]`), msg: "bad request: body is not an object"},
		{name: "no username", in: []byte(`{"password":"p"}`), msg: "bad request: username missing"},
		{name: "null username", in: []byte(`{"username":null,"password":"p"}`), msg: "bad request: username missing"},
		{name: "empty username", in: []byte(`{"username":"","password":"p"}`), msg: "bad request: username is empty"},
		{name: "numeric username", in: []byte(`{"username":123,"password":"p"}`), msg: "bad request: username is not a string"},
		{name: "long username", in: []byte(`{"username":"` + long + `","password":"p"}`), msg: "bad request: username too long"},
		{name: "no password", in: []byte(`{"username":"u"}`), msg: "bad request: password missing"},
		{name: "empty password", in: []byte(`{"username":"u","password":""}`), msg: "bad request: password is empty"},
		{name: "long password", in: []byte(`{"username":"u","password":"` + strings.Repeat("p", MaxPasswordLen+1) + `"}`), msg: "bad request: password too long"},
		{name: "duplicate password", in: []byte(`{"username":"u","password":"a","password":"b"}`), msg: "bad request: duplicate key password"},
		{name: "lone surrogate", in: []byte(`{"username":"\udfff","password":"p"}`), msg: "bad request: invalid escape in username"},
		{name: "malformed", in: []byte(`{"username":"u","password":}`), msg: "bad request: invalid JSON at offset 28"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l Login
			err := DecodeLogin(tc.in, &l)
			if tc.msg != "" {
				asError(t, err, CodeBadRequest, tc.msg)
				if l != (Login{}) {
					t.Fatalf("fields set after error: %+v", l)
				}
				return
			}
			if err != nil || l != tc.want {
				t.Fatalf("got %+v %v, want %+v", l, err, tc.want)
			}
		})
	}
}

func TestDecodeRefresh(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want Refresh
		msg  string
	}{
		{name: "ok", in: []byte(`{"refresh_token":"rt.abc-123"}`), want: Refresh{RefreshToken: "rt.abc-123"}},
		{name: "missing", in: []byte(`{}`), msg: "bad request: refresh_token missing"},
		{name: "empty", in: []byte(`{"refresh_token":""}`), msg: "bad request: refresh_token is empty"},
		{name: "object", in: []byte(`{"refresh_token":{}}`), msg: "bad request: refresh_token is not a string"},
		{name: "too long", in: []byte(`{"refresh_token":"` + strings.Repeat("r", MaxRefreshTokenLen+1) + `"}`), msg: "bad request: refresh_token too long"},
		{name: "duplicate", in: []byte(`{"refresh_token":"a","refresh_token":"b"}`), msg: "bad request: duplicate key refresh_token"},
		{name: "nil", in: nil, msg: "bad request: body missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r Refresh
			err := DecodeRefresh(tc.in, &r)
			if tc.msg != "" {
				asError(t, err, CodeBadRequest, tc.msg)
				return
			}
			if err != nil || r != tc.want {
				t.Fatalf("got %+v %v, want %+v", r, err, tc.want)
			}
		})
	}
}

func TestDecodeSend(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want Send
		msg  string
	}{
		{name: "object content", in: `{"to_uid":"bob","content":{"text":"hi","n":[1,2]}}`, want: Send{ToUID: "bob", Content: []byte(`{"text":"hi","n":[1,2]}`)}},
		{name: "string content", in: `{"to_uid":"bob","content":"hi \u2028 \ud800"}`, want: Send{ToUID: "bob", Content: []byte(`"hi \u2028 \ud800"`)}},
		{name: "number content", in: `{"to_uid":"bob","content":-1.5e300}`, want: Send{ToUID: "bob", Content: []byte(`-1.5e300`)}},
		{name: "null content", in: `{"to_uid":"bob","content":null}`, want: Send{ToUID: "bob", Content: []byte(`null`)}},
		{name: "content verbatim", in: `{"to_uid":"bob","content": { "a" : [ 1 ] } }`, want: Send{ToUID: "bob", Content: []byte(`{ "a" : [ 1 ] }`)}},
		{name: "client_msg_id", in: `{"to_uid":"bob","content":1,"client_msg_id":"c-1"}`, want: Send{ToUID: "bob", Content: []byte(`1`), ClientMsgID: "c-1"}},
		{name: "null client_msg_id", in: `{"to_uid":"bob","content":1,"client_msg_id":null}`, want: Send{ToUID: "bob", Content: []byte(`1`)}},
		{name: "no content", in: `{"to_uid":"bob"}`, msg: "bad request: content missing"},
		{name: "no to_uid", in: `{"content":1}`, msg: "bad request: to_uid missing"},
		{name: "empty to_uid", in: `{"to_uid":"","content":1}`, msg: "bad request: to_uid is empty"},
		{name: "long to_uid", in: `{"to_uid":"` + strings.Repeat("b", MaxIDLen+1) + `","content":1}`, msg: "bad request: to_uid too long"},
		{name: "numeric client_msg_id", in: `{"to_uid":"b","content":1,"client_msg_id":5}`, msg: "bad request: client_msg_id is not a string"},
		{name: "long client_msg_id", in: `{"to_uid":"b","content":1,"client_msg_id":"` + strings.Repeat("c", MaxIDLen+1) + `"}`, msg: "bad request: client_msg_id too long"},
		{name: "duplicate content", in: `{"to_uid":"b","content":1,"content":2}`, msg: "bad request: duplicate key content"},
		{name: "bad content", in: `{"to_uid":"b","content":{"a":}}`, msg: "bad request: invalid JSON at offset 30"},
		{name: "deep content", in: `{"to_uid":"b","content":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s Send
			err := DecodeSend([]byte(tc.in), &s)
			if tc.msg != "" {
				asError(t, err, CodeBadRequest, tc.msg)
				if !reflect.DeepEqual(s, Send{}) {
					t.Fatalf("fields set after error: %+v", s)
				}
				return
			}
			if tc.want.ToUID == "" {
				if err == nil {
					t.Fatalf("no error, got %+v", s)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(s, tc.want) {
				t.Fatalf("got %+v %v, want %+v", s, err, tc.want)
			}
			if cap(s.Content) != len(s.Content) {
				t.Fatal("content capacity exceeds its length")
			}
		})
	}
}

func TestDecodeKick(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want Kick
		msg  string
	}{
		{name: "all", in: `{"user_id":"u","device_id":"d","reason":"kicked by admin"}`, want: Kick{UserID: "u", DeviceID: "d", Reason: "kicked by admin"}},
		{name: "user only", in: `{"user_id":"u"}`, want: Kick{UserID: "u"}},
		{name: "no user", in: `{"reason":"x"}`, msg: "bad request: user_id missing"},
		{name: "long reason", in: `{"user_id":"u","reason":"` + strings.Repeat("r", MaxReasonLen+1) + `"}`, msg: "bad request: reason too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var k Kick
			err := DecodeKick([]byte(tc.in), &k)
			if tc.msg != "" {
				asError(t, err, CodeBadRequest, tc.msg)
				return
			}
			if err != nil || k != tc.want {
				t.Fatalf("got %+v %v, want %+v", k, err, tc.want)
			}
		})
	}
}

// TestClonesOutliveInput overwrites the input after cloning each body.
func TestClonesOutliveInput(t *testing.T) {
	scribble := func(b []byte) {
		for i := range b {
			b[i] = '#'
		}
	}
	in := []byte(`{"username":"alice","password":"s3cret"}`)
	var l Login
	if err := DecodeLogin(in, &l); err != nil {
		t.Fatal(err)
	}
	lc := l.Clone()
	in2 := []byte(`{"refresh_token":"rt-1"}`)
	var r Refresh
	if err := DecodeRefresh(in2, &r); err != nil {
		t.Fatal(err)
	}
	rc := r.Clone()
	in3 := []byte(`{"to_uid":"bob","content":{"t":1},"client_msg_id":"c9"}`)
	var s Send
	if err := DecodeSend(in3, &s); err != nil {
		t.Fatal(err)
	}
	sc := s.Clone()
	in4 := []byte(`{"user_id":"u","device_id":"d","reason":"r"}`)
	var k Kick
	if err := DecodeKick(in4, &k); err != nil {
		t.Fatal(err)
	}
	kc := k.Clone()
	scribble(in)
	scribble(in2)
	scribble(in3)
	scribble(in4)
	if lc != (Login{Username: "alice", Password: "s3cret"}) || rc.RefreshToken != "rt-1" || kc != (Kick{UserID: "u", DeviceID: "d", Reason: "r"}) ||
		!reflect.DeepEqual(sc, Send{ToUID: "bob", Content: []byte(`{"t":1}`), ClientMsgID: "c9"}) {
		t.Fatalf("clones changed with input: %+v %+v %+v %+v", lc, rc, sc, kc)
	}
	if l.Username == "alice" {
		t.Fatal("fast path copied username; expected an alias")
	}
}
