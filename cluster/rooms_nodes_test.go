package cluster_test

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/imgate/gateway/gateway"
)

// join sends JOIN and checks the reply.
func (c *client) join(room string) {
	c.t.Helper()
	c.send(map[string]any{"cmd_id": 2101, "seq": 1, "body": map[string]any{"room": room}})
	if r := c.read(); r.Code != 200 || r.CmdID != 2101 {
		c.t.Fatalf("%s: JOIN %s: %+v", c.name, room, r)
	}
}

// expectRoom reads the next message and checks it is a 3101 of room with
// content text.
func (c *client) expectRoom(room, text string) {
	c.t.Helper()
	r := c.read()
	if b := r.body(c.t); r.CmdID != 3101 || b["room"] != room || b["content"] != text {
		c.t.Fatalf("%s: want 3101 %s %q, got %+v", c.name, room, text, r)
	}
}

// alive checks that nothing is waiting before a heartbeat's reply: no
// duplicate arrived.
func (c *client) quiet() {
	c.t.Helper()
	c.send(map[string]any{"cmd_id": 1003, "seq": 77, "body": map[string]any{}})
	if r := c.read(); r.Seq != 77 {
		c.t.Fatalf("%s: unexpected %+v", c.name, r)
	}
}

func waitMembers(t *testing.T, n *node, want int64) {
	t.Helper()
	eventually(t, func() error {
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
	ns := startNATS(t)
	nodes := startNodesWith(t, ns, 3, nodeOptions{rooms: gateway.RoomsConfig{Open: []string{"team:*"}}})
	var members []*client
	for i, n := range nodes {
		for k := range 2 {
			c := n.connect(t, "bob", "d"+strconv.Itoa(2*i+k))
			c.join("team:1")
			members = append(members, c)
		}
	}
	pub := nodes[0].connect(t, "alice", "p")
	pub.join("team:1")
	ns.waitInterest(t, "gateway.room.team%3A1", 3) // one subscription per node, not per member

	const msgs = 30
	for i := range msgs {
		pub.send(map[string]any{"cmd_id": 2103, "seq": i + 1, "body": map[string]any{"room": "team:1", "content": strconv.Itoa(i)}})
	}
	for i := range msgs {
		r := pub.read()
		if b := r.body(t); r.Seq != int64(i+1) || b["delivered"] != 2.0 || b["routed"] != true {
			t.Fatalf("PUBLISH reply %d: %+v", i, r)
		}
	}
	for _, c := range members {
		for i := range msgs {
			c.expectRoom("team:1", strconv.Itoa(i))
		}
		c.quiet()
	}
	pub.quiet()

	// An admin join on n2 reaches carol's sessions on n3 (and none on n2).
	carol := nodes[2].connect(t, "carol", "c1")
	code, r := nodes[1].post(t, "/api/rooms/join", adminKey, `{"user_id":"carol","room":"group:9"}`)
	if code != 200 || r.body(t)["joined"] != 0.0 || r.body(t)["routed"] != true {
		t.Fatalf("admin join: %d %+v", code, r)
	}
	waitMembers(t, nodes[2], 3)
	ns.waitInterest(t, "gateway.room.group%3A9", 1)
	code, r = nodes[0].post(t, "/api/rooms/publish", adminKey, `{"room":"group:9","content":"from n1"}`)
	if code != 200 || r.body(t)["delivered"] != 0.0 || r.body(t)["routed"] != true {
		t.Fatalf("admin publish: %d %+v", code, r)
	}
	carol.expectRoom("group:9", "from n1")

	// A backend publishes on the subject itself.
	nc, err := nats.Connect(ns.url())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := nc.Publish("gateway.room.group%3A9", []byte(`{"cmd_id":3101,"code":200,"body":{"room":"group:9","content":"backend"},"err_msg":""}`)); err != nil {
		t.Fatal(err)
	}
	carol.expectRoom("group:9", "backend")

	// Broadcast from n3: every authenticated session on every node.
	if code, r = nodes[2].post(t, "/api/broadcast", adminKey, `{"content":"all"}`); code != 200 || r.body(t)["delivered"] != 3.0 {
		t.Fatalf("broadcast: %d %+v", code, r)
	}
	for _, c := range append([]*client{pub, carol}, members...) {
		if r := c.read(); r.CmdID != 3102 || r.body(t)["content"] != "all" {
			t.Fatalf("%s: want 3102, got %+v", c.name, r)
		}
	}

	// NATS restarts; the subscriptions come back and rooms work again.
	ns.stop()
	ns.start()
	for _, n := range nodes {
		eventually(t, func() error {
			if !n.bus.Ready() {
				return fmt.Errorf("%s: bus not ready", n.name)
			}
			return nil
		})
	}
	ns.waitInterest(t, "gateway.room.team%3A1", 3)
	pub.send(map[string]any{"cmd_id": 2103, "seq": 100, "body": map[string]any{"room": "team:1", "content": "again"}})
	pub.read()
	for _, c := range members {
		c.expectRoom("team:1", "again")
	}

	// Leaving the last member of a node drops its subscription.
	for _, c := range members[4:] {
		c.conn.Close()
	}
	waitMembers(t, nodes[2], 1)
	ns.waitInterest(t, "gateway.room.team%3A1", 2)
}
