package gateway

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
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
func (c *client) roomCmd(cmd int, room string, seq int) reply {
	c.t.Helper()
	c.send(map[string]any{"cmd_id": cmd, "seq": seq, "body": map[string]any{"room": room}})
	return c.read()
}

// join sends JOIN and fails unless it is answered 200.
func (c *client) join(room string) {
	c.t.Helper()
	if r := c.roomCmd(2101, room, 1); r.Code != 200 || r.CmdID != 2101 {
		c.t.Fatalf("JOIN %s: %+v", room, r)
	}
}

// publish sends PUBLISH without reading the reply.
func (c *client) publish(room string, content any, seq int) {
	c.t.Helper()
	c.send(map[string]any{"cmd_id": 2103, "seq": seq, "body": map[string]any{"room": room, "content": content}})
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
func (c *client) readPush(cmdID int) roomMsg {
	c.t.Helper()
	for {
		r := c.read()
		if r.CmdID == cmdID && r.Seq == 0 {
			var m roomMsg
			if err := json.Unmarshal(r.Body, &m); err != nil {
				c.t.Fatal(err)
			}
			return m
		}
		if r.Seq == 0 {
			c.t.Fatalf("want push %d, got %+v", cmdID, r)
		}
	}
}

// readReply reads until the response with seq.
func (c *client) readReply(seq int) reply {
	c.t.Helper()
	for {
		if r := c.read(); r.Seq == int64(seq) {
			return r
		}
	}
}

// expectQuiet checks that nothing but a heartbeat's answer arrives: it
// sends a HEARTBEAT and wants its reply as the next message.
func (c *client) expectQuiet() {
	c.t.Helper()
	c.send(map[string]any{"cmd_id": 1003, "seq": 999, "body": map[string]any{}})
	if r := c.read(); r.Seq != 999 {
		c.t.Fatalf("unexpected message before the heartbeat reply: %+v", r)
	}
}

// waitMemberships polls until the node has n memberships and rooms rooms.
func (st *stack) waitMemberships(t testing.TB, n, rooms int64) {
	t.Helper()
	eventually(t, testWait, func() error {
		s := st.gw.RoomStats()
		if s.Memberships != n || s.Rooms != rooms {
			return fmt.Errorf("memberships %d rooms %d, want %d %d", s.Memberships, s.Rooms, n, rooms)
		}
		return nil
	})
}

func stringsContains(s, sub string) bool { return strings.Contains(s, sub) }
