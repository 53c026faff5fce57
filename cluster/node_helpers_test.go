package cluster_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/cluster"
	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/gateway"
	"github.com/imgate/gateway/hub"
	"github.com/imgate/gateway/inbox"
	"github.com/imgate/gateway/internal/testutil"
	"github.com/imgate/gateway/internal/testutil/gwtest"
	"github.com/imgate/gateway/internal/testutil/natstest"
)

// These helpers run whole gateway nodes (auth, hub, gateway, engine, HTTP
// API, bus) on 127.0.0.1:0 against an embedded NATS server, and talk to
// them over real sockets.

const testWait = 20 * time.Second

var testSecret = []byte("0123456789abcdef0123456789abcdef-cluster-test")

const adminKey = "cluster-test-admin-key"

// node is one gateway process, in-process.
type node struct {
	g    *gwtest.Gateway
	reg  *cluster.Registry // nil without nodeOptions.registry
	name string
	auth *auth.Manager
	bus  *cluster.Bus
	hub  *hub.Hub
	gw   *gateway.Gateway
	srv  *engine.Server
	url  string // ws://…/
	api  string // http://…
}

// nodeOptions are what tests vary between nodes.
type nodeOptions struct {
	store       func(n *node) auth.RefreshStore // nil: a memory store per node
	policy      gateway.Policy
	maxSessions int
	registry    bool                      // a session registry on JetStream (login policy across nodes)
	inbox       func(n *node) inbox.Store // nil: the inbox is off
	rooms       gateway.RoomsConfig
}

func startNode(t testing.TB, natsURL, name string) *node {
	t.Helper()
	return startNodeWith(t, natsURL, name, nodeOptions{})
}

func startNodeWith(t testing.TB, natsURL, name string, o nodeOptions) *node {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	n := &node{name: name}
	var err error
	n.bus, err = cluster.New(cluster.Config{URLs: []string{natsURL}, NodeID: name, ReconnectWait: 20 * time.Millisecond,
		RequestTimeout: testWait, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	relay := &relay{}
	if err := n.bus.Start(cluster.Handlers{Push: relay.push, Control: relay.control,
		Room: relay.room, Broadcast: relay.broadcast}); err != nil {
		t.Fatal(err)
	}
	var store auth.RefreshStore
	if o.store != nil || o.registry || o.inbox != nil {
		testutil.Eventually(t, testWait, func() error {
			if !n.bus.Ready() {
				return fmt.Errorf("%s: bus not ready", n.name)
			}
			return nil
		})
	}
	if o.store != nil {
		store = o.store(n)
	}
	var ib inbox.Store
	if o.inbox != nil {
		ib = o.inbox(n)
	}
	var registry gateway.SessionRegistry
	if o.registry {
		if n.reg, err = cluster.OpenRegistry(context.Background(), n.bus.Conn(), cluster.RegistryOptions{Memory: true}); err != nil {
			t.Fatal(err)
		}
		registry = n.reg
	}
	n.g = gwtest.Start(t, gwtest.Options{
		Auth: auth.Config{Secret: testSecret, Store: store, Throttle: auth.ThrottleConfig{Disabled: true}},
		Hub:  hub.Config{OnPresence: n.bus.Interest},
		Gateway: gateway.Config{Logger: quiet, Cluster: n.bus, AdminKey: adminKey,
			LoginPolicy: o.policy, MaxSessionsPerUser: o.maxSessions, Registry: registry, Inbox: ib, Rooms: o.rooms},
		Closers: []func(){n.closeBus},
	})
	n.auth, n.hub, n.gw, n.srv, n.url, n.api = n.g.Auth, n.g.Hub, n.g.GW, n.g.Srv, n.g.URL, n.g.API
	relay.gw.Store(n.gw)
	return n
}

// closeBus closes the node's registry and bus, after its gateway stopped.
func (n *node) closeBus() {
	if n.reg != nil {
		n.reg.Close()
	}
	n.bus.Close()
}

// relay hands the bus's messages to the node's gateway once it exists
// (the bus starts first: a NATS store needs its connection).
type relay struct {
	gw atomic.Pointer[gateway.Gateway]
}

func (r *relay) push(user string, payload []byte) {
	if g := r.gw.Load(); g != nil {
		g.PushRemote(user, payload)
	}
}

func (r *relay) control(user, kind, origin string, data []byte) {
	if g := r.gw.Load(); g != nil {
		g.Control(user, kind, origin, data)
	}
}

func (r *relay) room(room string, payload []byte) {
	if g := r.gw.Load(); g != nil {
		g.PushRoom(room, payload)
	}
}

func (r *relay) broadcast(payload []byte) {
	if g := r.gw.Load(); g != nil {
		g.PushBroadcast(payload)
	}
}

// startNodes starts n nodes named n1, n2, … and waits until each bus is up.
func startNodes(t testing.TB, ns *natstest.Server, count int) []*node {
	t.Helper()
	return startNodesWith(t, ns, count, nodeOptions{})
}

func startNodesWith(t testing.TB, ns *natstest.Server, count int, o nodeOptions) []*node {
	t.Helper()
	nodes := make([]*node, count)
	for i := range nodes {
		nodes[i] = startNodeWith(t, ns.URL(), "n"+strconv.Itoa(i+1), o)
	}
	for _, n := range nodes {
		testutil.Eventually(t, testWait, func() error {
			if !n.bus.Ready() {
				return fmt.Errorf("%s: bus not ready", n.name)
			}
			return nil
		})
	}
	return nodes
}

// reply is any server message.
type reply = testutil.Reply

// connect opens a session of user on n with device id device.
func (n *node) connect(t testing.TB, user, device string) *testutil.Client {
	t.Helper()
	return n.g.Connect(t, user, device, testutil.WithName(user+"/"+device+"@"+n.name))
}

// expectResult reads the next message and checks it is the SEND response
// with seq.
func expectResult(c *testutil.Client, seq int, delivered float64, routed bool) {
	c.T.Helper()
	r := c.Read()
	if r.CmdID != 2001 || int(r.Seq) != seq || r.Code != 200 {
		c.T.Fatalf("%s: want the response to SEND %d, got %+v", c.Name, seq, r)
	}
	b := r.BodyMap(c.T)
	if b["delivered"] != delivered || (b["routed"] == true) != routed {
		c.T.Fatalf("%s: response %v, want delivered %v routed %v", c.Name, b, delivered, routed)
	}
}

// post calls the node's HTTP API and returns the status and reply.
func (n *node) post(t testing.TB, path, key, body string) (int, reply) {
	t.Helper()
	return n.g.Post(t, path, key, body)
}

// readyz returns the status of GET /readyz.
func (n *node) readyz(t testing.TB) int {
	t.Helper()
	resp, err := http.Get(n.api + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
