package cluster_test

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/imgate/gateway/cluster"
	"github.com/imgate/gateway/gateway"
	"github.com/imgate/gateway/internal/testutil"
	"github.com/imgate/gateway/internal/testutil/natstest"
)

// waitRegistered polls until the registry lists want sessions of user.
func waitRegistered(t testing.TB, reg *cluster.Registry, user string, want int) []cluster.Session {
	t.Helper()
	var list []cluster.Session
	testutil.Eventually(t, testWait, func() error {
		var err error
		if list, err = reg.Sessions(user); err != nil {
			return err
		}
		if len(list) != want {
			return fmt.Errorf("registry of %s: %+v, want %d sessions", user, list, want)
		}
		return nil
	})
	return list
}

// Under "single", two logins of one user on two nodes at the same moment:
// exactly one survives, the one the registry recorded last; the other is
// kicked ("logged in on another device"). Several rounds.
func TestSingleLoginRaceAcrossNodes(t *testing.T) {
	ns := natstest.StartJetStream(t)
	nodes := startNodesWith(t, ns, 2, nodeOptions{policy: gateway.PolicySingle, registry: true})
	// The rounds race different users: they run at once, so the survivor's
	// wait for a kick that must not come (5s) is paid once, not per round.
	for round := range 5 {
		t.Run("round"+strconv.Itoa(round), func(t *testing.T) {
			t.Parallel()
			singleLoginRace(t, nodes, round)
		})
	}
}

// singleLoginRace is one round of TestSingleLoginRaceAcrossNodes.
func singleLoginRace(t *testing.T, nodes []*node, round int) {
	user := "racer" + strconv.Itoa(round)
	tok, _, err := nodes[0].auth.IssueAccess(user, "")
	if err != nil {
		t.Fatal(err)
	}
	type dialed struct {
		c   *testutil.Client
		err error
	}
	results := make([]chan dialed, 2)
	for i, n := range nodes {
		results[i] = make(chan dialed, 1)
		go func() {
			// TryDial does not fail the test, so it may run here.
			c, err := testutil.TryDial(t, n.url+testutil.Query("device_id", "d"+strconv.Itoa(i), "platform", "test", "token", tok),
				testutil.WithName(user+"@"+n.name))
			results[i] <- dialed{c: c, err: err}
		}()
	}
	clients := make([]*testutil.Client, 2)
	for i := range clients {
		d := <-results[i]
		if d.err != nil {
			t.Fatal(d.err)
		}
		clients[i] = d.c
		if r := d.c.Read(); r.Code != 200 {
			t.Fatalf("%s: first frame %+v", d.c.Name, r)
		}
	}
	// Exactly one of the two is kicked; read both at once, since either
	// may lose (the hub and the registry see the sessions asynchronously).
	kicked := make([]chan bool, 2)
	for i, c := range clients {
		kicked[i] = make(chan bool, 1)
		go func() { kicked[i] <- kickedWithin(c, 5*time.Second) }()
	}
	k0, k1 := <-kicked[0], <-kicked[1]
	if k0 == k1 {
		t.Fatalf("round %d: kicked n1 %v, n2 %v; want exactly one", round, k0, k1)
	}
	survivor, loser := clients[0], clients[1]
	if k0 {
		survivor, loser = loser, survivor
	}
	if code := loser.ExpectClose(); code != 4003 {
		t.Fatalf("%s: close %d after 3003, want 4003", loser.Name, code)
	}
	alive(survivor, 1)
	if list := waitRegistered(t, nodes[0].reg, user, 1); list[0].Node != survivor.Name[len(user)+1:] {
		t.Fatalf("registry %+v, survivor %s", list, survivor.Name)
	}
}

// "per-platform" across nodes: a second web session on another node
// displaces the first; the ios session stays.
func TestPerPlatformAcrossNodes(t *testing.T) {
	ns := natstest.StartJetStream(t)
	nodes := startNodesWith(t, ns, 3, nodeOptions{policy: gateway.PolicyPerPlatform, registry: true})
	tok, _, err := nodes[0].auth.IssueAccess("alice", "")
	if err != nil {
		t.Fatal(err)
	}
	web1 := nodes[0].session(t, tok, "w1", "web")
	waitRegistered(t, nodes[0].reg, "alice", 1)
	ios := nodes[1].session(t, tok, "i1", "ios")
	waitRegistered(t, nodes[0].reg, "alice", 2)
	web3 := nodes[2].session(t, tok, "w3", "web")
	web1.ExpectKicked("logged in on another device")
	list := waitRegistered(t, nodes[0].reg, "alice", 2)
	if list[0].Platform != "ios" || list[1].Node != "n3" {
		t.Fatalf("registry %+v", list)
	}
	alive(ios, 1)
	alive(web3, 1)
}

// -max-sessions-per-user counts every node's sessions: the third session
// of a user capped at 2 displaces the oldest, on another node.
func TestMaxSessionsAcrossNodes(t *testing.T) {
	ns := natstest.StartJetStream(t)
	nodes := startNodesWith(t, ns, 3, nodeOptions{policy: gateway.PolicyMulti, maxSessions: 2, registry: true})
	a1 := nodes[0].connect(t, "alice", "a1")
	waitRegistered(t, nodes[0].reg, "alice", 1)
	a2 := nodes[1].connect(t, "alice", "a2")
	waitRegistered(t, nodes[0].reg, "alice", 2)
	a3 := nodes[2].connect(t, "alice", "a3")
	a1.ExpectKicked("too many sessions")
	alive(a2, 1)
	alive(a3, 1)
	// A session that closes leaves the registry: a fourth fits without a kick.
	a3.Conn.Close()
	waitRegistered(t, nodes[0].reg, "alice", 1)
	nodes[0].connect(t, "alice", "a4")
	waitRegistered(t, nodes[0].reg, "alice", 2)
	alive(a2, 2)
}

// kickedWithin reports whether c gets a KICKED (3003) push within d; a
// timeout or any other error is false. It reads without failing the test,
// so that it may run on its own goroutine.
func kickedWithin(c *testutil.Client, d time.Duration) bool {
	_ = c.Conn.SetReadDeadline(time.Now().Add(d))
	defer func() { _ = c.Conn.SetReadDeadline(time.Time{}) }()
	for {
		h, err := ws.ReadHeader(c.Rd)
		if err != nil {
			return false
		}
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(c.Rd, p); err != nil {
			return false
		}
		if h.OpCode == ws.OpText && bytes.Contains(p, []byte(`"cmd_id":3003`)) {
			return true
		}
	}
}
