package gateway

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/imgate/gateway/internal/testutil"
)

var adminHeader = http.Header{"Authorization": {"Bearer room-admin-key"}}

func TestRoomAdminAPI(t *testing.T) {
	st := roomStack(t, 2, RoomsConfig{MaxPerSession: 1}) // no open rooms: only backends add members
	a1 := st.connectAs(t, "alice", "d1")
	a2 := st.connectAs(t, "alice", "d2")
	b := st.connectAs(t, "bob", "d1")
	anon := testutil.Dial(t, st.url)
	anon.Read()

	code, r, _ := st.post(t, "/api/rooms/join", map[string]any{"user_id": "alice", "room": "group:7"}, adminHeader)
	if code != 200 || r.BodyMap(t)["joined"] != float64(2) {
		t.Fatalf("join: %d %+v", code, r)
	}
	st.waitMemberships(t, 2, 1)
	// The limit holds for admin joins too: alice's sessions are full.
	if _, r, _ = st.post(t, "/api/rooms/join", map[string]any{"user_id": "alice", "room": "group:8"}, adminHeader); r.BodyMap(t)["joined"] != float64(0) {
		t.Fatalf("join past the limit: %+v", r)
	}
	code, r, _ = st.post(t, "/api/rooms/publish", map[string]any{"room": "group:7", "content": "hello"}, adminHeader)
	if code != 200 || r.BodyMap(t)["delivered"] != float64(2) {
		t.Fatalf("publish: %d %+v", code, r)
	}
	for _, c := range []*testutil.Client{a1, a2} {
		if m := readPush(c, 3101); m.FromUID != "" || string(m.Content) != `"hello"` || m.Room != "group:7" {
			t.Fatalf("3101 %+v", m)
		}
	}
	expectQuiet(b)
	// A member may publish in a room a backend put it in.
	publishT(a1, "group:7", 1, 4)
	if r := readReply(a1, 4); r.Code != 200 || r.BodyMap(t)["delivered"] != float64(1) {
		t.Fatalf("member PUBLISH: %+v", r)
	}
	readPush(a2, 3101)

	code, r, _ = st.post(t, "/api/broadcast", map[string]any{"content": map[string]any{"n": 1}}, adminHeader)
	if code != 200 || r.BodyMap(t)["delivered"] != float64(3) {
		t.Fatalf("broadcast: %d %+v", code, r)
	}
	for _, c := range []*testutil.Client{a1, a2, b} {
		if m := readPush(c, 3102); string(m.Content) != `{"n":1}` || m.MsgID == "" || m.TS == 0 {
			t.Fatalf("3102 %+v", m)
		}
	}
	expectQuiet(anon) // unauthenticated sessions get no broadcast

	// 2 (admin publish) + 1 (member publish) + 3 (broadcast) deliveries.
	mf := scrape(t, st.api)
	for name, want := range map[string]float64{"imgate_rooms": 1, "imgate_room_deliveries_total": 6} {
		if v, ok := metricValue(mf, name); !ok || v != want {
			t.Fatalf("%s = %v (%v), want %v", name, v, ok, want)
		}
	}
	if _, body := testutil.Get(t, st.api+"/api/stats"); !strings.Contains(body, `"rooms":{"rooms":1,"memberships":2,"deliveries":6,`) {
		t.Fatalf("/api/stats: %s", body)
	}

	code, r, _ = st.post(t, "/api/rooms/leave", map[string]any{"user_id": "alice", "room": "group:7"}, adminHeader)
	if code != 200 || r.BodyMap(t)["left"] != float64(2) {
		t.Fatalf("leave: %d %+v", code, r)
	}
	st.waitMemberships(t, 0, 0)

	for i, tc := range []struct {
		path string
		body map[string]any
		code int
	}{
		{"/api/rooms/join", map[string]any{"user_id": "alice", "room": "a b"}, 400},
		{"/api/rooms/join", map[string]any{"room": "x"}, 400},
		{"/api/rooms/publish", map[string]any{"room": "x"}, 400},
		{"/api/broadcast", map[string]any{}, 400},
	} {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			if code, r, _ := st.post(t, tc.path, tc.body, adminHeader); code != tc.code {
				t.Fatalf("%s %v: %d %+v", tc.path, tc.body, code, r)
			}
		})
	}
	if code, _, _ := st.post(t, "/api/broadcast", map[string]any{"content": 1}, nil); code != 401 {
		t.Fatalf("broadcast without the admin key: %d", code)
	}
}
