package protocol

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

var envelopeSeeds = []string{
	`{"cmd_id":1001,"seq":7,"from_uid":"user123","device_id":"web001","platform":"web","body":{"username":"user123","password":"password123"}}`,
	`{"cmd_id": 1001, "from_uid": "user123", "device_id": "python_client", "platform": "python", "body": {"username": "user123", "password": "password123"}}`,
	`{"cmd_id":2001,"seq":42,"from_uid":"u\"1","body":{"to_uid":"用户","content":{"t":"\u2028\ud800"},"client_msg_id":"c"}}`,
	`{"cmd_id":1003}`,
	`{"cmd_id":1,"cmd_id":2}`,
	`{"cmd_id":1e999,"seq":-0}`,
	`{"cmd_id":123456789012345678901234567890}`,
	`{"cmd_id":1,"from_uid":"\ud800"}`,
	"{\"cmd_id\":1,\"from_uid\":\"\xff\"}",
	`{"cmd_id":1,"body":[]}`,
	`{"cmd_id":1} {}`,
	`{"cmd\u005fid":1,"body":null}`,
	`{"cmd_id":1,"body":` + strings.Repeat(`{"a":`, 5000) + strings.Repeat("}", 5000) + `}`,
	`{"cmd_id":1,"x":` + strings.Repeat("[", 4097) + strings.Repeat("]", 4097) + `}`,
	``,
	`{`,
	`{"`,
	`{"cmd_id":`,
	`{"cmd_id":1,"from_uid":"a\`,
	// Found by this fuzzer: sonic v1.15.5 skips invalid escapes in long strings.
	`{"cmd_id":0,"":"\0","":{"":"","":{"":""},"":""}}`,
	`{"cmd_id":1,"body":{"a":"\x","b":"` + strings.Repeat("x", 70) + `"}}`,
}

// splitFeed simulates a message assembled from two partial reads: the first
// piece is decoded on its own (a decoder must cope with a truncated message),
// then both pieces are copied into one buffer, with unrelated bytes after
// its end, and decoded. It returns the assembled message.
func splitFeed(data []byte, cut uint, decode func([]byte)) []byte {
	i := int(cut % uint(len(data)+1))
	decode(data[:i:i])
	buf := make([]byte, 0, len(data)+8)
	buf = append(buf, data[:i]...)
	buf = append(buf, data[i:]...)
	buf = append(buf, `"}]} x`...)
	return buf[:len(data):len(data)]
}

func checkWireError(t *testing.T, err error) {
	t.Helper()
	e, ok := err.(*Error)
	if !ok || e.Code != CodeBadRequest || !strings.HasPrefix(e.Msg, ErrMsgBadRequestPrefix) || !utf8.ValidString(e.Msg) {
		t.Fatalf("error %#v is not a 400 *Error", err)
	}
}

func FuzzDecodeEnvelope(f *testing.F) {
	for i, s := range envelopeSeeds {
		f.Add([]byte(s), uint(i*7))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint) {
		var env Envelope
		buf := splitFeed(data, cut, func(piece []byte) { _ = DecodeEnvelope(piece, &env) })
		err := DecodeEnvelope(buf, &env)
		var direct Envelope
		if err2 := DecodeEnvelope(data, &direct); (err == nil) != (err2 == nil) {
			t.Fatalf("result depends on the buffer: %v vs %v", err, err2)
		}
		if err != nil {
			checkWireError(t, err)
			return
		}
		checkEnvelope(t, data, &env)
	})
}

// checkEnvelope checks the invariants of a decoded envelope and that every
// field re-encodes into valid JSON that reads back the same.
func checkEnvelope(t *testing.T, data []byte, env *Envelope) {
	t.Helper()
	if !json.Valid(data) {
		t.Fatalf("accepted what encoding/json rejects: %q", data)
	}
	if !env.HasCmdID {
		t.Fatal("success without cmd_id")
	}
	for _, s := range []string{env.FromUID, env.DeviceID, env.Platform} {
		if len(s) > MaxIDLen || !utf8.ValidString(s) {
			t.Fatalf("bad string field %q", s)
		}
	}
	if env.Body != nil && (env.Body[0] != '{' || !json.Valid(env.Body)) {
		t.Fatalf("bad body %q", env.Body)
	}
	if c := env.Clone(); !reflect.DeepEqual(&c, env) {
		t.Fatalf("clone %+v differs from %+v", c, env)
	}
	resp := AppendOK([]byte("HDR"), env.Ref, env.Body)
	if string(resp[:3]) != "HDR" || !json.Valid(resp[3:]) {
		t.Fatalf("response not JSON: %q", resp)
	}
	m := Message{MsgID: env.Platform, FromUID: env.FromUID, FromDevice: env.DeviceID, ToUID: env.FromUID, Content: env.Body, ClientMsgID: env.DeviceID, TS: env.Seq}
	var back struct {
		Body struct {
			MsgID      string `json:"msg_id"`
			FromUID    string `json:"from_uid"`
			FromDevice string `json:"from_device"`
			TS         int64  `json:"ts"`
		} `json:"body"`
	}
	push := AppendMessagePush(nil, &m)
	if err := json.Unmarshal(push, &back); err != nil {
		t.Fatalf("push not JSON: %v %q", err, push)
	}
	if back.Body.FromUID != env.FromUID || back.Body.FromDevice != env.DeviceID || back.Body.MsgID != env.Platform || back.Body.TS != env.Seq {
		t.Fatalf("push reads back %+v from %+v", back.Body, env)
	}
}

func FuzzDecodeSend(f *testing.F) {
	for i, s := range []string{
		`{"to_uid":"bob","content":{"text":"hi"},"client_msg_id":"c-1"}`,
		`{"to_uid":"bob","content":"\ud800\u2028"}`,
		`{"to_uid":"bob","content":null}`,
		`{"to_uid":"bob","content":-1.5e-300}`,
		`{"to_uid":"b\u00f6b","content":[1,{"a":[true,false,null]}]}`,
		`{"to_uid":"bob","content":1,"content":2}`,
		`{"to_uid":"","content":1}`,
		`{"to_uid":"bob","content":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`,
		`{"to_uid":"bob","content":{"a":}}`,
		`{"to_uid":"bob"`,
		`{"to_uid":"bob","content":"\q` + strings.Repeat("x", 70) + `"}`,
	} {
		f.Add([]byte(s), uint(i*5))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint) {
		var s Send
		buf := splitFeed(data, cut, func(piece []byte) { _ = DecodeSend(piece, &s) })
		if err := DecodeSend(buf, &s); err != nil {
			checkWireError(t, err)
			return
		}
		if s.ToUID == "" || len(s.ToUID) > MaxIDLen || len(s.ClientMsgID) > MaxIDLen || !json.Valid(data) || !json.Valid(s.Content) {
			t.Fatalf("accepted bad send %+v from %q", s, data)
		}
		c := s.Clone()
		m := Message{MsgID: "m", FromUID: "a", FromDevice: "d", ToUID: c.ToUID, Content: c.Content, ClientMsgID: c.ClientMsgID, TS: 1}
		push := AppendMessagePush(nil, &m)
		var back struct {
			Body struct {
				ToUID   string          `json:"to_uid"`
				Content json.RawMessage `json:"content"`
			} `json:"body"`
		}
		if err := json.Unmarshal(push, &back); err != nil {
			t.Fatalf("push not JSON: %v %q", err, push)
		}
		if back.Body.ToUID != s.ToUID || !bytes.Equal(back.Body.Content, s.Content) {
			t.Fatalf("push reads back %+v from %+v", back.Body, s)
		}
	})
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "user123", `a"b\c`, "\x00\x1f\x7f", "用户", "\u2028", "\xff", "\xed\xa0\x80", "a\xe7\x94"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := appendString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil || !utf8.Valid(out) {
			t.Fatalf("appendString(%q) = %q: %v", s, out, err)
		}
		if utf8.ValidString(s) && back != s {
			t.Fatalf("appendString(%q) reads back %q", s, back)
		}
	})
}

// FuzzDecodeBodies runs the LOGIN, REFRESH and kick decoders on one input.
func FuzzDecodeBodies(f *testing.F) {
	for i, s := range []string{
		`{"username":"user123","password":"password123"}`,
		`{"username":"us\u0065r","password":"p\"w"}`,
		`{"refresh_token":"rt-1"}`,
		`{"user_id":"u","device_id":"d","reason":"kicked by admin"}`,
		`{"username":"\ud800","password":"x","refresh_token":"","user_id":null}`,
		`{"password":"` + strings.Repeat(`\n`, 700) + `"}`,
	} {
		f.Add([]byte(s), uint(i*3))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint) {
		var l Login
		var r Refresh
		var k Kick
		buf := splitFeed(data, cut, func(piece []byte) {
			_, _, _ = DecodeLogin(piece, &l), DecodeRefresh(piece, &r), DecodeKick(piece, &k)
		})
		check := func(err error, ok func() bool) {
			t.Helper()
			if err != nil {
				checkWireError(t, err)
				return
			}
			if !json.Valid(data) || !ok() {
				t.Fatalf("accepted %q", data)
			}
		}
		check(DecodeLogin(buf, &l), func() bool {
			c := l.Clone()
			return c == l && l.Username != "" && l.Password != "" && len(l.Username) <= MaxIDLen &&
				len(l.Password) <= MaxPasswordLen && utf8.ValidString(l.Username) && utf8.ValidString(l.Password)
		})
		check(DecodeRefresh(buf, &r), func() bool {
			return r.Clone() == r && r.RefreshToken != "" && len(r.RefreshToken) <= MaxRefreshTokenLen
		})
		check(DecodeKick(buf, &k), func() bool {
			return k.Clone() == k && k.UserID != "" && len(k.Reason) <= MaxReasonLen
		})
	})
}
