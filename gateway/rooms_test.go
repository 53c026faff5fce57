package gateway

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/imgate/gateway/internal/testutil"
)

var openLive = RoomsConfig{Open: []string{"live:*", "lobby"}, ReadOnly: []string{"news:*"}, MaxPerSession: 3}

func TestRoomJoinRules(t *testing.T) {
	st := roomStack(t, 2, openLive)
	c := st.connectAs(t, "alice", "d1")
	for _, tc := range []struct {
		name, room string
		code       int
		errMsg     string
	}{
		{"open pattern", "live:42", 200, ""},
		{"open exact", "lobby", 200, ""},
		{"twice is fine", "lobby", 200, ""},
		{"not open", "secret", 403, "forbidden: room not allowed"},
		{"pattern is anchored", "xlive:1", 403, "forbidden: room not allowed"},
		{"bad character", "live:a b", 400, "bad request: room"},
		{"empty", "", 400, "bad request: room"},
		{"too long", "live:" + string(make129()), 400, "bad request: room"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := roomReq(c, 2101, tc.room, 5)
			if r.Code != tc.code || r.ErrMsg != tc.errMsg || r.Seq != 5 {
				t.Fatalf("JOIN %q: %+v, want %d %q", tc.room, r, tc.code, tc.errMsg)
			}
			if tc.code == 200 && r.BodyMap(t)["room"] != tc.room {
				t.Fatalf("JOIN body %s", r.Body)
			}
		})
	}
	joinRoomT(c, "live:43")
	if r := roomReq(c, 2101, "live:44", 6); r.Code != 400 || r.ErrMsg != "bad request: too many rooms" {
		t.Fatalf("4th room of 3: %+v", r)
	}
	if r := roomReq(c, 2102, "live:42", 7); r.Code != 200 {
		t.Fatalf("LEAVE: %+v", r)
	}
	joinRoomT(c, "live:44") // a place is free again
	st.waitMemberships(t, 3, 3)

	anon := testutil.Dial(t, st.url)
	anon.Read()
	if r := roomReq(anon, 2101, "lobby", 1); r.Code != 401 || r.ErrMsg != "not authenticated" {
		t.Fatalf("anonymous JOIN: %+v", r)
	}
}

func make129() []byte {
	b := make([]byte, 124)
	for i := range b {
		b[i] = 'a'
	}
	return b
}

func TestRoomPublishRules(t *testing.T) {
	st := roomStack(t, 2, openLive)
	a1 := st.connectAs(t, "alice", "d1")
	a2 := st.connectAs(t, "alice", "d2")
	b := st.connectAs(t, "bob", "d1")
	c := st.connectAs(t, "carol", "d1") // not a member
	for _, m := range []*testutil.Client{a1, a2, b} {
		joinRoomT(m, "live:1")
	}
	publishT(a1, "live:1", map[string]any{"text": "hi"}, 9)
	if r := readReply(a1, 9); r.Code != 200 || r.BodyMap(t)["delivered"] != float64(2) || r.BodyMap(t)["msg_id"] == "" {
		t.Fatalf("PUBLISH reply %+v", r)
	}
	for _, m := range []*testutil.Client{a2, b} { // the publisher's other session gets it too
		got := readPush(m, 3101)
		if got.Room != "live:1" || got.FromUID != "alice" || got.FromDevice != "d1" || string(got.Content) != `{"text":"hi"}` || got.TS == 0 {
			t.Fatalf("3101 %+v", got)
		}
	}
	expectQuiet(a1) // the publishing session is excluded
	expectQuiet(c)

	publishT(c, "live:1", "x", 3)
	if r := readReply(c, 3); r.Code != 403 || r.ErrMsg != "forbidden: not a member" {
		t.Fatalf("non-member PUBLISH: %+v", r)
	}
	publishT(b, "news:1", "x", 4)
	if r := readReply(b, 4); r.Code != 403 || r.ErrMsg != "forbidden: room is read-only" {
		t.Fatalf("read-only PUBLISH: %+v", r)
	}
	publishT(b, "bad room", "x", 5)
	if r := readReply(b, 5); r.Code != 400 || r.ErrMsg != "bad request: room" {
		t.Fatalf("bad room PUBLISH: %+v", r)
	}
	b.Send(map[string]any{"cmd_id": 2103, "seq": 6, "body": map[string]any{"room": "live:1"}})
	if r := readReply(b, 6); r.Code != 400 || r.ErrMsg != "bad request: content missing" {
		t.Fatalf("PUBLISH without content: %+v", r)
	}
}

func TestRoomClaim(t *testing.T) {
	st := roomStack(t, 2, RoomsConfig{MaxPerSession: 2})
	c, first := st.connectWith(t, roomToken(t, "alice", []string{"team:1", "team:2", "team:3"}), "")
	if first.Code != 200 {
		t.Fatalf("first frame %+v", first)
	}
	st.waitMemberships(t, 2, 2) // the claim is joined up to the limit
	if r := roomReq(c, 2102, "team:1", 1); r.Code != 200 {
		t.Fatalf("LEAVE %+v", r)
	}
	joinRoomT(c, "team:3") // claimed rooms may be joined again
	if r := roomReq(c, 2101, "other", 2); r.Code != 403 {
		t.Fatalf("JOIN of an unclaimed room: %+v", r)
	}
	b := st.connectAs(t, "bob", "d1")
	if r := roomReq(b, 2101, "team:2", 3); r.Code != 403 || r.ErrMsg != "forbidden: room not allowed" {
		t.Fatalf("another user's claim: %+v", r)
	}
	for _, tc := range []struct {
		name  string
		rooms any
	}{
		{"not an array", "team:1"},
		{"not strings", []any{1, 2}},
		{"invalid name", []string{"ok", "no spaces"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, r := st.connectWith(t, roomToken(t, "bob", tc.rooms), "")
			if r.Code != 401 || r.ErrMsg != "Token authentication failed. Please login." {
				t.Fatalf("token with rooms %v: %+v", tc.rooms, r)
			}
		})
	}
	c.Conn.Close()
	st.waitMemberships(t, 0, 0)
}

// TestRoomOrderEveryLoop: one publisher, members on every loop; every
// member gets every message once, in the order published.
func TestRoomOrderEveryLoop(t *testing.T) {
	for _, tc := range []struct {
		name     string
		coalesce time.Duration
	}{{"at once", 0}, {"coalesced", 5 * time.Millisecond}} {
		t.Run(tc.name, func(t *testing.T) { testRoomOrder(t, tc.coalesce) })
	}
}

func testRoomOrder(t *testing.T, coalesce time.Duration) {
	const loops, members, msgs = 4, 16, 300
	st := roomStack(t, loops, RoomsConfig{Open: []string{"*"}, Coalesce: coalesce})
	var cs []*testutil.Client
	for i := range members {
		c := st.connectAs(t, "bob", "m"+strconv.Itoa(i))
		joinRoomT(c, "big")
		cs = append(cs, c)
	}
	st.waitMemberships(t, members, 1)
	if s := st.gw.RoomStats(); countNonZero(s.Loops) != loops {
		t.Fatalf("members on %v, want every one of %d loops", s.Loops, loops)
	}
	p := st.connectAs(t, "alice", "p")
	joinRoomT(p, "big")
	for i := range msgs {
		publishT(p, "big", i, i+1)
	}
	done := make(chan error, members)
	for _, c := range cs {
		go func() {
			for i := range msgs {
				r, err := c.TryRead()
				if err != nil {
					done <- err
					return
				}
				if r.CmdID != 3101 || !containsContent(r.Body, strconv.Itoa(i)) {
					done <- fmt.Errorf("message %d: %s", i, r.Body)
					return
				}
			}
			done <- nil
		}()
	}
	for range cs {
		if err := testutil.WaitChan(t, done, "a member's reads"); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range cs {
		expectQuiet(c) // exactly once: nothing more
	}
}

func countNonZero(v []int64) int {
	n := 0
	for _, x := range v {
		if x != 0 {
			n++
		}
	}
	return n
}

func containsContent(body []byte, content string) bool {
	return stringsContains(string(body), `"content":`+content+`,`)
}

func TestRoomLeaveOnCloseKickLogout(t *testing.T) {
	st := roomStack(t, 2, RoomsConfig{Open: []string{"*"}})
	closer := st.connectAs(t, "alice", "d1")
	kicked := st.connectAs(t, "bob", "d1")
	tk := st.httpLogin(t, "carol", "carol123")
	out := st.connectAs(t, "carol", "d1")
	_ = tk
	for _, c := range []*testutil.Client{closer, kicked, out} {
		joinRoomT(c, "r1")
		joinRoomT(c, "r2")
	}
	st.waitMemberships(t, 6, 2)
	closer.Conn.Close()
	st.waitMemberships(t, 4, 2)
	hdr := http.Header{"Authorization": {"Bearer room-admin-key"}}
	if code, r, _ := st.post(t, "/api/kick", map[string]any{"user_id": "bob"}, hdr); code != 200 {
		t.Fatalf("kick: %d %+v", code, r)
	}
	kicked.ExpectKicked("kicked by admin")
	st.waitMemberships(t, 2, 2)
	out.Send(map[string]any{"cmd_id": 1002, "seq": 3, "body": map[string]any{}})
	if r := readReply(out, 3); r.Code != 200 {
		t.Fatalf("logout %+v", r)
	}
	st.waitMemberships(t, 0, 0)
	if r := roomReq(out, 2103, "r1", 4); r.Code != 401 {
		t.Fatalf("PUBLISH after logout: %+v", r)
	}
}
