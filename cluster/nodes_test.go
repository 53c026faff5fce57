package cluster_test

import (
	"testing"

	"github.com/imgate/gateway/cluster"
)

// Three nodes, users spread over them: every message reaches every device
// of the recipient and the sender's other devices, whichever node they are
// on, in both directions, exactly once.
func TestCrossNodeChat(t *testing.T) {
	ns := startNATS(t)
	nodes := startNodes(t, ns, 3)
	n1, n2, n3 := nodes[0], nodes[1], nodes[2]
	a1, a2 := n1.connect(t, "alice", "a1"), n2.connect(t, "alice", "a2")
	b2, b3 := n2.connect(t, "bob", "b2"), n3.connect(t, "bob", "b3")
	ns.waitInterest(t, cluster.UserSubject("alice"), 2)
	ns.waitInterest(t, cluster.UserSubject("bob"), 2)

	// alice on n1 → bob on n2 and n3; alice's a2 on n2 is synced.
	a1.say(1, "bob", "hi bob")
	b2.expectMessage("alice", "hi bob")
	b3.expectMessage("alice", "hi bob")
	a2.expectMessage("alice", "hi bob")
	a1.expectResult(1, 0, true) // no session of bob on n1

	// bob on n3 → alice on n1 and n2; bob's b2 on n2 is synced.
	b3.say(1, "alice", "hi alice")
	a1.expectMessage("bob", "hi alice")
	a2.expectMessage("bob", "hi alice")
	b2.expectMessage("bob", "hi alice")
	b3.expectResult(1, 0, true)

	// bob on n2 → alice: n2 has a2 locally, n1 gets it over the bus; b3
	// on n3 is synced.
	b2.say(2, "alice", "again")
	a2.expectMessage("bob", "again")
	a1.expectMessage("bob", "again")
	b3.expectMessage("bob", "again")
	b2.expectResult(2, 1, true)

	// To oneself: the other device on the other node, not the sender.
	a1.say(3, "alice", "note to self")
	a2.expectMessage("alice", "note to self")
	a1.expectResult(3, 0, true)

	// No duplicates: each client's next message is this marker.
	marker := n3.connect(t, "marker", "m")
	marker.say(1, "alice", "marker")
	marker.say(2, "bob", "marker")
	for _, c := range []*client{a1, a2, b2, b3} {
		c.expectMessage("marker", "marker")
	}
}

// A user whose last session on a node leaves no longer costs that node
// anything; a new session brings the subscription back.
func TestInterestFollowsSessions(t *testing.T) {
	ns := startNATS(t)
	nodes := startNodes(t, ns, 2)
	c := nodes[1].connect(t, "carol", "c1")
	ns.waitInterest(t, cluster.UserSubject("carol"), 1)
	c.conn.Close()
	ns.waitInterest(t, cluster.UserSubject("carol"), 0)
	c = nodes[1].connect(t, "carol", "c2")
	ns.waitInterest(t, cluster.UserSubject("carol"), 1)
	nodes[0].connect(t, "dave", "d1").say(1, "carol", "back")
	c.expectMessage("dave", "back")
}

// POST /api/push on one node reaches the user's sessions on the others.
func TestPushAPIAcrossNodes(t *testing.T) {
	ns := startNATS(t)
	nodes := startNodes(t, ns, 3)
	b2, b3 := nodes[1].connect(t, "bob", "b2"), nodes[2].connect(t, "bob", "b3")
	ns.waitInterest(t, cluster.UserSubject("bob"), 2)
	status, r := nodes[0].post(t, "/api/push", adminKey, `{"to_uid":"bob","content":"from the backend"}`)
	if b := r.body(t); status != 200 || b["delivered"] != 0.0 || b["routed"] != true {
		t.Fatalf("push: %d %+v", status, r)
	}
	b2.expectMessage("", "from the backend")
	b3.expectMessage("", "from the backend")
}
