package cluster_test

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/imgate/gateway/gateway"
	"github.com/imgate/gateway/internal/testutil"
	"github.com/imgate/gateway/internal/testutil/natstest"
)

// join sends JOIN and checks the reply.
func joinRoomT(c *testutil.Client, room string) {
	c.T.Helper()
	c.Send(map[string]any{"cmd_id": 2101, "seq": 1, "body": map[string]any{"room": room}})
	if r := c.Read(); r.Code != 200 || r.CmdID != 2101 {
		c.T.Fatalf("%s: JOIN %s: %+v", c.Name, room, r)
	}
}

// expectRoom reads the next message and checks it is a 3101 of room with
// content text.
func expectRoom(c *testutil.Client, room, text string) {
	c.T.Helper()
	r := c.Read()
	if b := r.BodyMap(c.T); r.CmdID != 3101 || b["room"] != room || b["content"] != text {
		c.T.Fatalf("%s: want 3101 %s %q, got %+v", c.Name, room, text, r)
	}
}

// quiet checks that nothing is waiting before a heartbeat's reply: no
// duplicate arrived.
func quiet(c *testutil.Client) {
	c.T.Helper()
	c.Send(map[string]any{"cmd_id": 1003, "seq": 77, "body": map[string]any{}})
	if r := c.Read(); r.Seq != 77 {
		c.T.Fatalf("%s: unexpected %+v", c.Name, r)
	}
}

func waitMembers(t *testing.T, n *node, want int64) {
	t.Helper()
	testutil.Eventually(t, testWait, func() error {
		if got := n.gw.RoomStats().Memberships; got != want {
			return fmt.Errorf("%s: %d memberships, want %d", n.name, got, want)
		}
		return nil
	})
}

// TestRoomsThreeNodes: members on every node get each room message once
// and in order; the node subscribes to the room's subject only while it
// has members; admin joins reach sessions on other nodes; backends publish
// on the subject; broadcasts reach every node; all of it again after a
// NATS restart.
func TestRoomsThreeNodes(t *testing.T) {
	ns := natstest.Start(t)
	nodes := startNodesWith(t, ns, 3, nodeOptions{rooms: gateway.RoomsConfig{Open: []string{"team:*"}}})
	var members []*testutil.Client
	for i, n := range nodes {
		for k := range 2 {
			c := n.connect(t, "bob", "d"+strconv.Itoa(2*i+k))
			joinRoomT(c, "team:1")
			members = append(members, c)
		}
	}
	pub := nodes[0].connect(t, "alice", "p")
	joinRoomT(pub, "team:1")
	ns.WaitInterest(t, "gateway.room.team%3A1", 3) // one subscription per node, not per member

	const msgs = 30
	for i := range msgs {
		pub.Send(map[string]any{"cmd_id": 2103, "seq": i + 1, "body": map[string]any{"room": "team:1", "content": strconv.Itoa(i)}})
	}
	for i := range msgs {
		r := pub.Read()
		if b := r.BodyMap(t); r.Seq != int64(i+1) || b["delivered"] != 2.0 || b["routed"] != true {
			t.Fatalf("PUBLISH reply %d: %+v", i, r)
		}
	}
	for _, c := range members {
		for i := range msgs {
			expectRoom(c, "team:1", strconv.Itoa(i))
		}
		quiet(c)
	}
	quiet(pub)

	// An admin join on n2 reaches carol's sessions on n3 (and none on n2).
	carol := nodes[2].connect(t, "carol", "c1")
	code, r := nodes[1].post(t, "/api/rooms/join", adminKey, `{"user_id":"carol","room":"group:9"}`)
	if code != 200 || r.BodyMap(t)["joined"] != 0.0 || r.BodyMap(t)["routed"] != true {
		t.Fatalf("admin join: %d %+v", code, r)
	}
	waitMembers(t, nodes[2], 3)
	ns.WaitInterest(t, "gateway.room.group%3A9", 1)
	code, r = nodes[0].post(t, "/api/rooms/publish", adminKey, `{"room":"group:9","content":"from n1"}`)
	if code != 200 || r.BodyMap(t)["delivered"] != 0.0 || r.BodyMap(t)["routed"] != true {
		t.Fatalf("admin publish: %d %+v", code, r)
	}
	expectRoom(carol, "group:9", "from n1")

	// A backend publishes on the subject itself.
	nc, err := nats.Connect(ns.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := nc.Publish("gateway.room.group%3A9", []byte(`{"cmd_id":3101,"code":200,"body":{"room":"group:9","content":"backend"},"err_msg":""}`)); err != nil {
		t.Fatal(err)
	}
	expectRoom(carol, "group:9", "backend")

	// Broadcast from n3: every authenticated session on every node.
	if code, r = nodes[2].post(t, "/api/broadcast", adminKey, `{"content":"all"}`); code != 200 || r.BodyMap(t)["delivered"] != 3.0 {
		t.Fatalf("broadcast: %d %+v", code, r)
	}
	for _, c := range append([]*testutil.Client{pub, carol}, members...) {
		if r := c.Read(); r.CmdID != 3102 || r.BodyMap(t)["content"] != "all" {
			t.Fatalf("%s: want 3102, got %+v", c.Name, r)
		}
	}

	// NATS restarts; the subscriptions come back and rooms work again.
	ns.Restart()
	for _, n := range nodes {
		testutil.Eventually(t, testWait, func() error {
			if !n.bus.Ready() {
				return fmt.Errorf("%s: bus not ready", n.name)
			}
			return nil
		})
	}
	ns.WaitInterest(t, "gateway.room.team%3A1", 3)
	pub.Send(map[string]any{"cmd_id": 2103, "seq": 100, "body": map[string]any{"room": "team:1", "content": "again"}})
	pub.Read()
	for _, c := range members {
		expectRoom(c, "team:1", "again")
	}

	// Leaving the last member of a node drops its subscription.
	for _, c := range members[4:] {
		c.Conn.Close()
	}
	waitMembers(t, nodes[2], 1)
	ns.WaitInterest(t, "gateway.room.team%3A1", 2)
}
