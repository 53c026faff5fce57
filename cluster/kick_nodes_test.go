package cluster_test

import (
	"fmt"
	"testing"

	"github.com/imgate/gateway/cluster"
	"github.com/imgate/gateway/internal/testutil"
	"github.com/imgate/gateway/internal/testutil/natstest"
)

// POST /api/kick on one node kicks the user's sessions on every node (3003
// then 4003); with device_id, only that device's, wherever it is.
func TestKickAcrossNodes(t *testing.T) {
	ns := natstest.Start(t)
	nodes := startNodes(t, ns, 3)
	a1, a2, a3 := nodes[0].connect(t, "alice", "a1"), nodes[1].connect(t, "alice", "a2"), nodes[2].connect(t, "alice", "a3")
	b2 := nodes[1].connect(t, "bob", "b2")
	ns.WaitInterest(t, cluster.UserSubject("alice"), 3)

	status, r := nodes[2].post(t, "/api/kick", adminKey, `{"user_id":"alice","device_id":"a2","reason":"device lost"}`)
	if b := r.BodyMap(t); status != 200 || b["kicked"] != 0.0 || b["routed"] != true {
		t.Fatalf("kick a2: %d %+v", status, r)
	}
	a2.ExpectKicked("device lost")
	alive(a1, 1)
	alive(a3, 1)

	status, r = nodes[0].post(t, "/api/kick", adminKey, `{"user_id":"alice"}`)
	if b := r.BodyMap(t); status != 200 || b["kicked"] != 1.0 || b["routed"] != true {
		t.Fatalf("kick alice: %d %+v", status, r)
	}
	a1.ExpectKicked("kicked by admin")
	a3.ExpectKicked("kicked by admin")
	alive(b2, 1)
}

// A revoked family is revoked on every node: LOGOUT on one node kicks the
// family's session on another ("token revoked"), and a third node refuses
// the family's access token at connect, although neither had heard of it.
func TestRevocationAcrossNodes(t *testing.T) {
	ns := natstest.Start(t)
	nodes := startNodes(t, ns, 3)
	tok := nodes[0].login(t, "alice", "alice123", "")
	s1 := nodes[0].session(t, tok.access, "d1", "web")
	s2 := nodes[1].session(t, tok.access, "d2", "web")
	ns.WaitInterest(t, cluster.UserSubject("alice"), 2)

	s1.Send(map[string]any{"cmd_id": 1002, "seq": 1})
	if r := s1.Read(); r.CmdID != 1002 || r.Code != 200 {
		t.Fatalf("logout: %+v", r)
	}
	s2.ExpectKicked("token revoked")
	testutil.Eventually(t, testWait, func() error {
		c, r := nodes[2].dialToken(t, tok.access, "d3", "web")
		c.Conn.Close()
		if r.Code != 401 {
			return fmt.Errorf("connect with a revoked family's token on n3: %+v", r)
		}
		return nil
	})
	// A fresh login still works everywhere.
	alive(nodes[2].session(t, nodes[2].login(t, "alice", "alice123", "").access, "d4", "web"), 1)
}
