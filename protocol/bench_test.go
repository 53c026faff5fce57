package protocol

import (
	"encoding/json"
	"testing"
)

// sendEnvelope is a typical SEND request (about 150 bytes).
const sendEnvelope = `{"cmd_id":2001,"seq":42,"from_uid":"user123","device_id":"web_k3j4h5g6a","platform":"web","body":{"to_uid":"user456","content":{"text":"hello there"},"client_msg_id":"c-1"}}`

func BenchmarkDecodeEnvelope(b *testing.B) {
	data := []byte(sendEnvelope)
	var env Envelope
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := DecodeEnvelope(data, &env); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeEnvelopeAndSend is the whole inbound SEND path: envelope,
// then body.
func BenchmarkDecodeEnvelopeAndSend(b *testing.B) {
	data := []byte(sendEnvelope)
	var env Envelope
	var s Send
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := DecodeEnvelope(data, &env); err != nil {
			b.Fatal(err)
		}
		if err := DecodeSend(env.Body, &s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeEnvelopeStdlib is the encoding/json baseline for the same
// input (it copies; types checked by the struct).
func BenchmarkDecodeEnvelopeStdlib(b *testing.B) {
	data := []byte(sendEnvelope)
	var env struct {
		CmdID    int             `json:"cmd_id"`
		Seq      *int64          `json:"seq"`
		FromUID  string          `json:"from_uid"`
		DeviceID string          `json:"device_id"`
		Platform string          `json:"platform"`
		Body     json.RawMessage `json:"body"`
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := json.Unmarshal(data, &env); err != nil {
			b.Fatal(err)
		}
	}
}

var benchMessage = Message{
	MsgID:       "01J9ZK3Q7W8X2V5N4M6P0R1T3Y",
	FromUID:     "user123",
	FromDevice:  "web_k3j4h5g6a",
	ToUID:       "user456",
	Content:     []byte(`{"text":"hello there"}`),
	ClientMsgID: "c-1",
	TS:          1790000000123,
}

func BenchmarkAppendMessagePush(b *testing.B) {
	buf := make([]byte, 0, 512)
	m := benchMessage
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf = AppendMessagePush(buf[:14], &m)
	}
	b.SetBytes(int64(len(buf) - 14))
}

// BenchmarkAppendMessagePushStdlib is the encoding/json baseline.
func BenchmarkAppendMessagePushStdlib(b *testing.B) {
	type body struct {
		MsgID       string          `json:"msg_id"`
		FromUID     string          `json:"from_uid"`
		FromDevice  string          `json:"from_device"`
		ToUID       string          `json:"to_uid"`
		Content     json.RawMessage `json:"content"`
		ClientMsgID string          `json:"client_msg_id,omitempty"`
		TS          int64           `json:"ts"`
	}
	type push struct {
		CmdID  int    `json:"cmd_id"`
		Code   int    `json:"code"`
		Body   body   `json:"body"`
		ErrMsg string `json:"err_msg"`
	}
	m := benchMessage
	p := push{CmdID: CmdMessage, Code: CodeOK, Body: body{MsgID: m.MsgID, FromUID: m.FromUID, FromDevice: m.FromDevice, ToUID: m.ToUID, Content: m.Content, ClientMsgID: m.ClientMsgID, TS: m.TS}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := json.Marshal(&p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendResponse(b *testing.B) {
	buf := make([]byte, 0, 512)
	ref := Ref{CmdID: CmdSend, Seq: 42, HasCmdID: true, HasSeq: true}
	r := SendResult{MsgID: "01J9ZK3Q7W8X2V5N4M6P0R1T3Y", Delivered: 2}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf = AppendResponseHead(buf[:14], ref, CodeOK)
		buf = AppendSendResultBody(buf, &r)
		buf = AppendResponseTail(buf, "")
	}
	b.SetBytes(int64(len(buf) - 14))
}

func BenchmarkAppendError(b *testing.B) {
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf = AppendError(buf[:14], ref1001, ErrNotAuthenticated)
	}
}

// BenchmarkAppendStringEscaped is the slow path: a string sonic must quote.
func BenchmarkAppendStringEscaped(b *testing.B) {
	buf := make([]byte, 0, 512)
	s := "line one\nline \"two\""
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf = appendString(buf[:0], s)
	}
}
