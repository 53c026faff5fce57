package gateway

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/imgate/gateway/internal/testutil"
)

// roomStack starts a gateway with rooms configured and loops event loops.
func roomStack(t testing.TB, loops int, cfg RoomsConfig) *stack {
	t.Helper()
	o := defaultStackOptions()
	o.engine.Loops = loops
	o.adminKey = "room-admin-key"
	o.gwEdit = func(c *Config) { c.Rooms = cfg }
	return startStack(t, o)
}

// roomToken signs an access token for user with the given "rooms" claim
// (any JSON value; nil leaves it out).
func roomToken(t testing.TB, user string, rooms any) string {
	t.Helper()
	claims := jwt.MapClaims{"sub": user, "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()}
	if rooms != nil {
		claims["rooms"] = rooms
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// roomCmd sends a JOIN (2101) or LEAVE (2102) and returns the reply.
func roomReq(c *testutil.Client, cmd int, room string, seq int) reply {
	c.T.Helper()
	c.Send(map[string]any{"cmd_id": cmd, "seq": seq, "body": map[string]any{"room": room}})
	return c.Read()
}

// join sends JOIN and fails unless it is answered 200.
func joinRoomT(c *testutil.Client, room string) {
	c.T.Helper()
	if r := roomReq(c, 2101, room, 1); r.Code != 200 || r.CmdID != 2101 {
		c.T.Fatalf("JOIN %s: %+v", room, r)
	}
}

// publish sends PUBLISH without reading the reply.
func publishT(c *testutil.Client, room string, content any, seq int) {
	c.T.Helper()
	c.Send(map[string]any{"cmd_id": 2103, "seq": seq, "body": map[string]any{"room": room, "content": content}})
}

// roomMsg is the body of a 3101 push.
type roomMsg struct {
	Room       string          `json:"room"`
	MsgID      string          `json:"msg_id"`
	FromUID    string          `json:"from_uid"`
	FromDevice string          `json:"from_device"`
	Content    json.RawMessage `json:"content"`
	TS         int64           `json:"ts"`
}

// readPush reads until a push with cmdID and returns its body; other
// messages are failures unless they are responses (seq set).
func readPush(c *testutil.Client, cmdID int) roomMsg {
	c.T.Helper()
	for {
		r := c.Read()
		if r.CmdID == cmdID && r.Seq == 0 {
			var m roomMsg
			if err := json.Unmarshal(r.Body, &m); err != nil {
				c.T.Fatal(err)
			}
			return m
		}
		if r.Seq == 0 {
			c.T.Fatalf("want push %d, got %+v", cmdID, r)
		}
	}
}

// readReply reads until the response with seq.
func readReply(c *testutil.Client, seq int) reply {
	c.T.Helper()
	for {
		if r := c.Read(); r.Seq == int64(seq) {
			return r
		}
	}
}

// expectQuiet checks that nothing but a heartbeat's answer arrives: it
// sends a HEARTBEAT and wants its reply as the next message.
func expectQuiet(c *testutil.Client) {
	c.T.Helper()
	c.Send(map[string]any{"cmd_id": 1003, "seq": 999, "body": map[string]any{}})
	if r := c.Read(); r.Seq != 999 {
		c.T.Fatalf("unexpected message before the heartbeat reply: %+v", r)
	}
}

// waitMemberships polls until the node has n memberships and rooms rooms.
func (st *stack) waitMemberships(t testing.TB, n, rooms int64) {
	t.Helper()
	testutil.Eventually(t, testWait, func() error {
		s := st.gw.RoomStats()
		if s.Memberships != n || s.Rooms != rooms {
			return fmt.Errorf("memberships %d rooms %d, want %d %d", s.Memberships, s.Rooms, n, rooms)
		}
		return nil
	})
}

func stringsContains(s, sub string) bool { return strings.Contains(s, sub) }
