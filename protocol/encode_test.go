package protocol

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestAppendString(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want string // exact output
		back string // what encoding/json reads back
	}{
		{"plain", "user123", `"user123"`, "user123"},
		{"empty", "", `""`, ""},
		{"quote and backslash", `a"b\c`, `"a\"b\\c"`, `a"b\c`},
		{"control chars", "\x00\x01\t\n\r\x1f", `"\u0000\u0001\t\n\r\u001f"`, "\x00\x01\t\n\r\x1f"},
		{"DEL kept", "a\x7fb", "\"a\x7fb\"", "a\x7fb"},
		{"html kept", "<a&b>", `"<a&b>"`, "<a&b>"},
		{"utf-8 kept", "用户 é 😀", `"用户 é 😀"`, "用户 é 😀"},
		{"line separators kept", "a\u2028b\u2029", "\"a\u2028b\u2029\"", "a\u2028b\u2029"},
		{"invalid utf-8 replaced", "a\xffb", "\"a\uFFFDb\"", "a\uFFFDb"},
		{"encoded surrogate replaced", "\xed\xa0\x80", "\"\uFFFD\uFFFD\uFFFD\"", "\uFFFD\uFFFD\uFFFD"},
		{"truncated rune replaced", "ab\xe7\x94", "\"ab\uFFFD\uFFFD\"", "ab\uFFFD\uFFFD"},
		{"invalid utf-8 and escape", "\"\xff", "\"\\\"\uFFFD\"", "\"\uFFFD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := appendString([]byte("HDR"), tc.in)
			if string(got[:3]) != "HDR" {
				t.Fatalf("prefix clobbered: %q", got)
			}
			got = got[3:]
			if string(got) != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			var back string
			if err := json.Unmarshal(got, &back); err != nil || back != tc.back {
				t.Fatalf("read back %q %v, want %q", back, err, tc.back)
			}
		})
	}
}

// TestAppendKeepsHeaderRoom checks the encoders append after a reserved
// WebSocket header and never write in front of len(dst).
func TestAppendKeepsHeaderRoom(t *testing.T) {
	hdr := []byte{0x81, 0x7e, 0x00, 0x00}
	m := Message{MsgID: "m", FromUID: "a", FromDevice: "d", ToUID: "b", Content: []byte(`"x"`), TS: 1}
	for _, tc := range []struct {
		name string
		fn   func([]byte) []byte
	}{
		{"message push", func(b []byte) []byte { return AppendMessagePush(b, &m) }},
		{"response", func(b []byte) []byte { return AppendOK(b, ref1001, []byte(`{}`)) }},
		{"error", func(b []byte) []byte { return AppendError(b, ref1001, ErrInternal) }},
		{"hello", func(b []byte) []byte { return AppendHelloAuthenticated(b, "s", "u", 1) }},
		{"kicked", func(b []byte) []byte { return AppendKickedPush(b, "bye \"now\"") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf := make([]byte, len(hdr), 8)
			copy(buf, hdr)
			out := tc.fn(buf)
			if !bytes.Equal(out[:len(hdr)], hdr) {
				t.Fatalf("header clobbered: % x", out[:len(hdr)])
			}
			if !json.Valid(out[len(hdr):]) {
				t.Fatalf("payload not JSON: %s", out[len(hdr):])
			}
		})
	}
}

// TestRoundTrip decodes a SEND request and encodes the MESSAGE push and the
// response from what was decoded, as the gateway does.
func TestRoundTrip(t *testing.T) {
	in := []byte(`{"cmd_id":2001,"seq":42,"from_uid":"user\"123","device_id":"web001","platform":"web",` +
		`"body":{"to_uid":"用户456","content":{"text":"hi \u2028 \"there\"","n":[1,2.5e3,null]},"client_msg_id":"c-1"}}`)
	var env Envelope
	if err := DecodeEnvelope(in, &env); err != nil {
		t.Fatal(err)
	}
	var s Send
	if err := DecodeSend(env.Body, &s); err != nil {
		t.Fatal(err)
	}
	m := Message{MsgID: "m-1", FromUID: env.FromUID, FromDevice: env.DeviceID, ToUID: s.ToUID, Content: s.Content, ClientMsgID: s.ClientMsgID, TS: 1790000000123}
	assertJSON(t, AppendMessagePush(nil, &m),
		`{"cmd_id":3001,"code":200,"body":{"msg_id":"m-1","from_uid":"user\"123","from_device":"web001","to_uid":"用户456",`+
			`"content":{"text":"hi \u2028 \"there\"","n":[1,2.5e3,null]},"client_msg_id":"c-1","ts":1790000000123},"err_msg":""}`, true)
	assertJSON(t, AppendOK(nil, env.Ref, AppendSendResultBody(nil, &SendResult{MsgID: "m-1", Delivered: 1})),
		`{"cmd_id":2001,"seq":42,"code":200,"body":{"msg_id":"m-1","delivered":1},"err_msg":""}`, true)

	// The push decodes back as an envelope with the same content.
	var back Envelope
	push := AppendMessagePush(nil, &m)
	if err := DecodeEnvelope(push, &back); err != nil || back.CmdID != CmdMessage || back.HasSeq {
		t.Fatalf("%+v %v", back, err)
	}
	if !bytes.Contains(back.Body, s.Content) {
		t.Fatalf("content not verbatim in %s", back.Body)
	}
}

func TestErrorType(t *testing.T) {
	if got := BadRequest("x").Error(); got != "protocol: 400 bad request: x" {
		t.Fatal(got)
	}
	if AsError(nil) != nil {
		t.Fatal("AsError(nil) != nil")
	}
	if AsError(strings.NewReader("").UnreadByte()) != ErrInternal {
		t.Fatal("a foreign error must map to ErrInternal")
	}
	wrapped := errorsJoin(ErrTooManyRequests)
	if AsError(wrapped) != ErrTooManyRequests {
		t.Fatal("wrapped *Error not found")
	}
}

type wrapErr struct{ err error }

func (w wrapErr) Error() string { return "wrapped: " + w.err.Error() }
func (w wrapErr) Unwrap() error { return w.err }

func errorsJoin(e error) error { return wrapErr{e} }
