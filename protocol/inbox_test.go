package protocol

import (
	"encoding/json"
	"testing"
)

func TestMessageOffsets(t *testing.T) {
	m := Message{MsgID: "m1", FromUID: "a", ToUID: "b", Content: []byte(`{"offset":1,"prev_offset":2}`), TS: 5}
	plain := AppendMessagePush(nil, &m)
	m.Offset, m.PrevOffset = 42, 7
	withOffsets := AppendMessagePush(nil, &m)
	for _, tc := range []struct {
		name      string
		in        string
		off, prev uint64
		ok        bool
	}{
		{name: "inbox entry", in: string(withOffsets), off: 42, prev: 7, ok: true},
		{name: "no offsets, content that looks like them", in: string(plain)},
		{name: "backend publish", in: `{"cmd_id":3001,"code":200,"body":{"x":1},"err_msg":""}`},
		{name: "first entry", in: `{"body":{"ts":1,"offset":3,"prev_offset":0},"err_msg":""}` + "\n", off: 3, ok: true},
		{name: "offset zero", in: `{"body":{"ts":1,"offset":0,"prev_offset":0},"err_msg":""}`},
		{name: "empty", in: ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			off, prev, ok := MessageOffsets([]byte(tc.in))
			if off != tc.off || prev != tc.prev || ok != tc.ok {
				t.Fatalf("MessageOffsets = %d, %d, %v; want %d, %d, %v", off, prev, ok, tc.off, tc.prev, tc.ok)
			}
		})
	}
	var v map[string]any
	if err := json.Unmarshal(withOffsets, &v); err != nil {
		t.Fatalf("%s: %v", withOffsets, err)
	}
}

func TestDecodeSync(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		want    Sync
		wantErr bool
	}{
		{name: "empty", in: `{}`, want: Sync{Limit: MaxSyncLimit}},
		{name: "all", in: `{"since":5,"epoch":"e1","limit":3}`, want: Sync{Since: 5, HasSince: true, Epoch: "e1", Limit: 3}},
		{name: "since zero", in: `{"since":0}`, want: Sync{HasSince: true, Limit: MaxSyncLimit}},
		{name: "limit capped", in: `{"limit":10000}`, want: Sync{Limit: MaxSyncLimit}},
		{name: "negative since", in: `{"since":-1}`, wantErr: true},
		{name: "zero limit", in: `{"limit":0}`, wantErr: true},
		{name: "not an object", in: `[1]`, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s Sync
			err := DecodeSync([]byte(tc.in), &s)
			if (err != nil) != tc.wantErr || (!tc.wantErr && s != tc.want) {
				t.Fatalf("DecodeSync(%s) = %+v, %v", tc.in, s, err)
			}
		})
	}
}

func TestInboxFrames(t *testing.T) {
	p := InboxPos{Epoch: "ep", Offset: 9}
	for _, b := range [][]byte{
		AppendHelloAuthenticatedInbox(nil, "s1", "alice", 100, p),
		AppendLoginBodyInbox(nil, &LoginResult{UserID: "alice", SessionID: "s1"}, p),
		AppendSyncResultBody(nil, &SyncResult{InboxPos: p, More: true}),
	} {
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if body, ok := v["body"].(map[string]any); ok {
			v = body
		}
		ib, ok := v["inbox"].(map[string]any)
		if !ok {
			ib = v
		}
		if ib["epoch"] != "ep" || ib["offset"] != 9.0 {
			t.Fatalf("%s", b)
		}
	}
}
