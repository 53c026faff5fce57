package gateway

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
	"github.com/imgate/gateway/engine/wsframe"
)

// dialDeflate connects as user with a token, offering permessage-deflate,
// and reads the first frame. It returns the client and whether the server
// accepted the extension.
func (st *stack) dialDeflate(t *testing.T, user, device string) (*client, bool) {
	t.Helper()
	offer := wsflate.Parameters{ClientNoContextTakeover: true}.Option()
	d := ws.Dialer{Timeout: testWait, Extensions: []httphead.Option{offer}}
	conn, br, hs, err := d.Dial(context.Background(), st.url+"?device_id="+device+"&token="+st.token(t, user, ""))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &client{t: t, conn: conn, rd: br}
	if br == nil {
		c.rd = bufio.NewReader(conn)
	}
	if r := c.read(); r.Code != 200 {
		t.Fatalf("first frame: %+v", r)
	}
	return c, len(hs.Extensions) == 1
}

// readMaybeDeflated reads the next data frame, inflating it if it has RSV1,
// and reports whether it had.
func (c *client) readMaybeDeflated() (reply, bool) {
	c.t.Helper()
	h, err := ws.ReadHeader(c.rd)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	p := make([]byte, h.Length)
	if _, err := io.ReadFull(c.rd, p); err != nil {
		c.t.Fatalf("read: %v", err)
	}
	compressed := h.Rsv == ws.Rsv(true, false, false)
	if compressed {
		r := flate.NewReader(io.MultiReader(bytes.NewReader(p), strings.NewReader("\x00\x00\xff\xff\x01\x00\x00\xff\xff")))
		if p, err = io.ReadAll(r); err != nil {
			c.t.Fatalf("inflate: %v", err)
		}
	}
	var r reply
	if err := json.Unmarshal(p, &r); err != nil {
		c.t.Fatalf("bad json %q: %v", p, err)
	}
	return r, compressed
}

// A MESSAGE to a user's several sessions is compressed once and shared:
// the sessions that negotiated permessage-deflate get the same compressed
// frame, the other one the plain frame, and a short MESSAGE goes plain.
func TestMessageCompressedOncePerFanout(t *testing.T) {
	o := defaultStackOptions()
	o.engine.Compression, o.engine.CompressionMinSize = true, 400
	st := startStack(t, o)
	z1, ok1 := st.dialDeflate(t, "alice", "a1")
	z2, ok2 := st.dialDeflate(t, "alice", "a2")
	plain := st.connectAs(t, "alice", "a3")
	if !ok1 || !ok2 {
		t.Fatal("permessage-deflate not negotiated")
	}
	bob := st.connectAs(t, "bob", "b1")
	eventually(t, testWait, func() error {
		if n := st.hub.SessionCount(); n != 4 {
			return errorf("%d sessions in the hub", n)
		}
		return nil
	})
	text := strings.Repeat("see you at the usual place at eight, and bring the book; ", 10)
	before := wsframe.Compressions()
	bob.send(map[string]any{"cmd_id": 2001, "seq": 1, "body": map[string]any{"to_uid": "alice", "content": text}})
	for i, c := range []*client{z1, z2, plain} {
		r, compressed := c.readMaybeDeflated()
		if r.CmdID != 3001 || r.body(t)["content"] != text {
			t.Fatalf("session %d: %+v", i, r)
		}
		if want := c != plain; compressed != want {
			t.Fatalf("session %d: compressed %v, want %v", i, compressed, want)
		}
	}
	if n := wsframe.Compressions() - before; n != 1 {
		t.Fatalf("%d compressions for one MESSAGE to two compressing sessions, want 1", n)
	}
	bob.send(map[string]any{"cmd_id": 2001, "seq": 2, "body": map[string]any{"to_uid": "alice", "content": "hi"}})
	if r, compressed := z1.readMaybeDeflated(); compressed || r.body(t)["content"] != "hi" {
		t.Fatalf("a short MESSAGE: compressed %v, %+v", compressed, r)
	}
}
