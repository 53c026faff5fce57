package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/imgate/gateway/internal/testutil"
	"github.com/imgate/gateway/protocol"
)

func TestLoginTimeout(t *testing.T) {
	o := defaultStackOptions()
	o.loginTimeout = 300 * time.Millisecond
	st := startStack(t, o)
	c := testutil.Dial(t, st.url)
	c.Read()
	if code := c.ExpectClose(); code != closeAuthTimeout {
		t.Fatalf("close code %d, want 4001", code)
	}
	// An authenticated connection outlives the login timeout.
	a := st.connectAs(t, "alice", "a1")
	time.Sleep(3 * o.loginTimeout) // waiting out a timeout is the point here
	a.Send(map[string]any{"cmd_id": 1003, "seq": 1, "body": map[string]any{}})
	if r := a.Read(); r.Code != 200 {
		t.Fatalf("heartbeat after the login timeout: %+v", r)
	}
}

func TestIdleTimeout(t *testing.T) {
	o := defaultStackOptions()
	o.engine.IdleTimeout = 300 * time.Millisecond
	st := startStack(t, o)
	c := st.connectAs(t, "alice", "a1")
	if code := c.ExpectClose(); code != 1001 {
		t.Fatalf("close code %d, want 1001", code)
	}
}

// A message over -max-message-size gets 413, then close 1009.
func TestTooLarge(t *testing.T) {
	o := defaultStackOptions()
	o.engine.MaxMessageSize = 1024
	st := startStack(t, o)
	c := st.connectAs(t, "alice", "a1")
	c.SendRaw(ws.OpText, []byte(`{"cmd_id":1003,"body":{"pad":"`+strings.Repeat("x", 2000)+`"}}`))
	r := c.Read()
	if r.Code != 413 || r.ErrMsg != protocol.ErrMsgMessageTooLarge {
		t.Fatalf("got %+v, want 413", r)
	}
	if code := c.ExpectClose(); code != 1009 {
		t.Fatalf("close code %d, want 1009", code)
	}
}

// A recipient that stops reading is closed 4008; its sender and the other
// sessions are not disturbed.
func TestSlowConsumer(t *testing.T) {
	o := defaultStackOptions()
	o.engine.WriteQueueBytes = 64 << 10
	st := startStack(t, o)
	alice := st.connectAs(t, "alice", "a1")
	slow := st.connectAs(t, "bob", "slow")
	other := st.connectAs(t, "carol", "c1")
	payload := strings.Repeat("z", 8<<10)
	// Flood bob (who never reads) until the gateway gives up on him.
	deadline := time.Now().Add(testWait)
	for seq := 1; ; seq++ {
		alice.Send(map[string]any{"cmd_id": 2001, "seq": seq, "body": map[string]any{"to_uid": "bob", "content": payload}})
		r := alice.Read()
		if r.Code != 200 {
			t.Fatalf("send %d: %+v", seq, r)
		}
		if r.BodyMap(t)["delivered"] == float64(0) {
			break // bob's session is gone
		}
		if time.Now().After(deadline) {
			t.Fatal("slow consumer never closed")
		}
	}
	if code := slow.ExpectClose(); code != 4008 {
		t.Fatalf("slow consumer close %d, want 4008", code)
	}
	alice.Send(map[string]any{"cmd_id": 2001, "seq": 1, "body": map[string]any{"to_uid": "carol", "content": "still here"}})
	if r := alice.Read(); r.BodyMap(t)["delivered"] != float64(1) {
		t.Fatalf("send after: %+v", r)
	}
	if r := other.Read(); r.BodyMap(t)["content"] != "still here" {
		t.Fatalf("carol got %+v", r)
	}
}
