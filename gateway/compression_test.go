package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
	"github.com/imgate/gateway/engine/wsframe"
	"github.com/imgate/gateway/internal/testutil"
	"github.com/klauspost/compress/flate"
)

// dialDeflate connects as user with a token, offering permessage-deflate
// (testutil's Dial has no extension option), and reads the first frame. It
// returns the client and whether the server accepted the extension.
func (st *stack) dialDeflate(t *testing.T, user, device string) (*testutil.Client, bool) {
	t.Helper()
	offer := wsflate.Parameters{ClientNoContextTakeover: true}.Option()
	d := ws.Dialer{Timeout: testutil.Wait, Extensions: []httphead.Option{offer}}
	url := st.url + "?device_id=" + device + "&token=" + testutil.Token(t, st.auth, user, "")
	conn, br, hs, err := d.Dial(context.Background(), url)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if br == nil {
		br = bufio.NewReader(conn)
	}
	c := &testutil.Client{T: t, Conn: conn, Rd: br}
	if r := c.Read(); r.Code != 200 {
		t.Fatalf("first frame: %+v", r)
	}
	return c, len(hs.Extensions) == 1
}

// readMaybeDeflated reads the next data frame, inflating it if it has RSV1,
// and reports whether it had.
func readMaybeDeflated(t *testing.T, c *testutil.Client) (reply, bool) {
	t.Helper()
	h, p, err := c.TryReadFrame()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	compressed := h.Rsv == ws.Rsv(true, false, false)
	if compressed {
		r := flate.NewReader(io.MultiReader(bytes.NewReader(p), strings.NewReader("\x00\x00\xff\xff\x01\x00\x00\xff\xff")))
		if p, err = io.ReadAll(r); err != nil {
			t.Fatalf("inflate: %v", err)
		}
	}
	var r reply
	if err := json.Unmarshal(p, &r); err != nil {
		t.Fatalf("bad json %q: %v", p, err)
	}
	return r, compressed
}

// A MESSAGE to a user's several sessions is compressed once and shared:
// the sessions that negotiated permessage-deflate get the same compressed
// frame, the other one the plain frame, and a MESSAGE under
// -compression-min-size goes plain.
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
	testutil.Eventually(t, testutil.Wait, func() error {
		if n := st.hub.SessionCount(); n != 4 {
			return fmt.Errorf("%d sessions in the hub", n)
		}
		return nil
	})
	text := strings.Repeat("see you at the usual place at eight, and bring the book; ", 10)
	before := wsframe.Compressions()
	bob.Send(map[string]any{"cmd_id": 2001, "seq": 1, "body": map[string]any{"to_uid": "alice", "content": text}})
	for i, c := range []*testutil.Client{z1, z2, plain} {
		r, compressed := readMaybeDeflated(t, c)
		if r.CmdID != 3001 || r.BodyMap(t)["content"] != text {
			t.Fatalf("session %d: %+v", i, r)
		}
		if want := c != plain; compressed != want {
			t.Fatalf("session %d: compressed %v, want %v", i, compressed, want)
		}
	}
	if n := wsframe.Compressions() - before; n != 1 {
		t.Fatalf("%d compressions for one MESSAGE to two compressing sessions, want 1", n)
	}
	bob.Send(map[string]any{"cmd_id": 2001, "seq": 2, "body": map[string]any{"to_uid": "alice", "content": "hi"}})
	if r, compressed := readMaybeDeflated(t, z1); compressed || r.BodyMap(t)["content"] != "hi" {
		t.Fatalf("a short MESSAGE: compressed %v, %+v", compressed, r)
	}
}

// TestRoomMessageCompressedOnce: one room message to members on every loop,
// two of them negotiating permessage-deflate, is compressed once on the
// node, and each member gets the variant it negotiated.
func TestRoomMessageCompressedOnce(t *testing.T) {
	o := defaultStackOptions()
	o.engine.Loops = 4
	o.engine.Compression, o.engine.CompressionMinSize = true, 400
	o.gwEdit = func(c *Config) { c.Rooms = RoomsConfig{Open: []string{"*"}} }
	st := startStack(t, o)
	var members []*testutil.Client
	for i := range 4 {
		z, ok := st.dialDeflate(t, "alice", "z"+strconv.Itoa(i))
		if !ok {
			t.Fatal("permessage-deflate not negotiated")
		}
		members = append(members, z)
	}
	plain := st.connectAs(t, "carol", "p1")
	members = append(members, plain)
	for _, c := range members {
		joinRoomT(c, "lobby")
	}
	bob := st.connectAs(t, "bob", "b1")
	joinRoomT(bob, "lobby")
	text := strings.Repeat("the train leaves at nine from platform two; do not be late. ", 10)
	before := wsframe.Compressions()
	publishT(bob, "lobby", text, 2)
	for i, c := range members {
		r, compressed := readMaybeDeflated(t, c)
		if r.CmdID != 3101 || r.BodyMap(t)["content"] != text {
			t.Fatalf("member %d: %+v", i, r)
		}
		if want := c != plain; compressed != want {
			t.Fatalf("member %d: compressed %v, want %v", i, compressed, want)
		}
	}
	if n := wsframe.Compressions() - before; n != 1 {
		t.Fatalf("%d compressions for one room message to four compressing members, want 1", n)
	}
}
