package cluster_test

import (
	"testing"

	"github.com/imgate/gateway/cluster"
	"github.com/imgate/gateway/internal/testutil"
	"github.com/imgate/gateway/internal/testutil/natstest"
)

// Three nodes, users spread over them: every message reaches every device
// of the recipient and the sender's other devices, whichever node they are
// on, in both directions, exactly once.
func TestCrossNodeChat(t *testing.T) {
	ns := natstest.Start(t)
	nodes := startNodes(t, ns, 3)
	n1, n2, n3 := nodes[0], nodes[1], nodes[2]
	a1, a2 := n1.connect(t, "alice", "a1"), n2.connect(t, "alice", "a2")
	b2, b3 := n2.connect(t, "bob", "b2"), n3.connect(t, "bob", "b3")
	ns.WaitInterest(t, cluster.UserSubject("alice"), 2)
	ns.WaitInterest(t, cluster.UserSubject("bob"), 2)

	// alice on n1 → bob on n2 and n3; alice's a2 on n2 is synced.
	a1.Say(1, "bob", "hi bob")
	b2.ExpectMessage("alice", "hi bob")
	b3.ExpectMessage("alice", "hi bob")
	a2.ExpectMessage("alice", "hi bob")
	expectResult(a1, 1, 0, true) // no session of bob on n1

	// bob on n3 → alice on n1 and n2; bob's b2 on n2 is synced.
	b3.Say(1, "alice", "hi alice")
	a1.ExpectMessage("bob", "hi alice")
	a2.ExpectMessage("bob", "hi alice")
	b2.ExpectMessage("bob", "hi alice")
	expectResult(b3, 1, 0, true)

	// bob on n2 → alice: n2 has a2 locally, n1 gets it over the bus; b3
	// on n3 is synced.
	b2.Say(2, "alice", "again")
	a2.ExpectMessage("bob", "again")
	a1.ExpectMessage("bob", "again")
	b3.ExpectMessage("bob", "again")
	expectResult(b2, 2, 1, true)

	// To oneself: the other device on the other node, not the sender.
	a1.Say(3, "alice", "note to self")
	a2.ExpectMessage("alice", "note to self")
	expectResult(a1, 3, 0, true)

	// No duplicates: each client's next message is this marker.
	marker := n3.connect(t, "marker", "m")
	marker.Say(1, "alice", "marker")
	marker.Say(2, "bob", "marker")
	for _, c := range []*testutil.Client{a1, a2, b2, b3} {
		c.ExpectMessage("marker", "marker")
	}
}

// A user whose last session on a node leaves no longer costs that node
// anything; a new session brings the subscription back.
func TestInterestFollowsSessions(t *testing.T) {
	ns := natstest.Start(t)
	nodes := startNodes(t, ns, 2)
	c := nodes[1].connect(t, "carol", "c1")
	ns.WaitInterest(t, cluster.UserSubject("carol"), 1)
	c.Conn.Close()
	ns.WaitInterest(t, cluster.UserSubject("carol"), 0)
	c = nodes[1].connect(t, "carol", "c2")
	ns.WaitInterest(t, cluster.UserSubject("carol"), 1)
	nodes[0].connect(t, "dave", "d1").Say(1, "carol", "back")
	c.ExpectMessage("dave", "back")
}

// POST /api/push on one node reaches the user's sessions on the others.
func TestPushAPIAcrossNodes(t *testing.T) {
	ns := natstest.Start(t)
	nodes := startNodes(t, ns, 3)
	b2, b3 := nodes[1].connect(t, "bob", "b2"), nodes[2].connect(t, "bob", "b3")
	ns.WaitInterest(t, cluster.UserSubject("bob"), 2)
	status, r := nodes[0].post(t, "/api/push", adminKey, `{"to_uid":"bob","content":"from the backend"}`)
	if b := r.BodyMap(t); status != 200 || b["delivered"] != 0.0 || b["routed"] != true {
		t.Fatalf("push: %d %+v", status, r)
	}
	b2.ExpectMessage("", "from the backend")
	b3.ExpectMessage("", "from the backend")
}
