package cluster_test

import (
	"context"
	"testing"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/auth/natsstore"
	"github.com/imgate/gateway/cluster"
	"github.com/imgate/gateway/internal/testutil/natstest"
)

// sharedStore opens every node's refresh-token store on one JetStream
// bucket over the node's bus connection.
func sharedStore(t testing.TB) func(n *node) auth.RefreshStore {
	return func(n *node) auth.RefreshStore {
		s, err := natsstore.Open(context.Background(), n.bus.Conn(), natsstore.Options{Memory: true})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

// With the refresh tokens in JetStream KV: login on n1, refresh on n2, the
// new access token works on n3; the spent token presented again on n3 is
// recognised as a reuse, which revokes the family and kicks its live
// session on n1; the family's newest refresh token is refused on n1 too.
func TestRefreshAcrossNodes(t *testing.T) {
	ns := natstest.StartJetStream(t)
	nodes := startNodesWith(t, ns, 3, nodeOptions{store: sharedStore(t)})
	tok := nodes[0].login(t, "alice", "alice123", "")
	live := nodes[0].session(t, tok.access, "d1", "web")

	status, r := nodes[1].refreshHTTP(t, tok.refresh)
	if status != 200 {
		t.Fatalf("refresh on n2: %d %+v", status, r)
	}
	b := r.BodyMap(t)
	next := tokens{access: b["access_token"].(string), refresh: b["refresh_token"].(string)}
	alive(nodes[2].session(t, next.access, "d1", "web"), 1)
	ns.WaitInterest(t, cluster.UserSubject("alice"), 2)

	status, r = nodes[2].refreshHTTP(t, tok.refresh) // spent on n2
	if status != 401 || r.ErrMsg != "invalid refresh token" {
		t.Fatalf("reuse on n3: %d %+v", status, r)
	}
	live.ExpectKicked("token revoked")
	if status, r := nodes[0].refreshHTTP(t, next.refresh); status != 401 {
		t.Fatalf("refresh of the revoked family on n1: %d %+v", status, r)
	}
}
