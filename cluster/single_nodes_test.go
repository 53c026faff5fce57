package cluster_test

import (
	"testing"

	"github.com/imgate/gateway/gateway"
	"github.com/imgate/gateway/internal/testutil/natstest"
)

// Under "single" across nodes the newest login wins: alice on n1, then on
// n2 once the registry holds the first; n1's session is kicked ("logged
// in on another device") and n2's stays, alone in the registry. (The race
// test only asks for exactly one survivor; a policy that kept the oldest
// would pass it.)
func TestSingleLoginNewestWinsAcrossNodes(t *testing.T) {
	ns := natstest.StartJetStream(t)
	nodes := startNodesWith(t, ns, 2, nodeOptions{policy: gateway.PolicySingle, registry: true})
	tok, _, err := nodes[0].auth.IssueAccess("alice", "")
	if err != nil {
		t.Fatal(err)
	}
	first := nodes[0].session(t, tok, "d1", "web")
	waitRegistered(t, nodes[0].reg, "alice", 1)
	second := nodes[1].session(t, tok, "d2", "web")
	first.ExpectKicked("logged in on another device")
	alive(second, 1)
	if list := waitRegistered(t, nodes[0].reg, "alice", 1); list[0].Node != "n2" {
		t.Fatalf("registry %+v, want alice's session on n2", list)
	}
}
