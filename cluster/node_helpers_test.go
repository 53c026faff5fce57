package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imgate/gateway/internal/testutil"
	"github.com/imgate/gateway/internal/testutil/natstest"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/cluster"
	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/gateway"
	"github.com/imgate/gateway/hub"
)

// These helpers run whole gateway nodes (auth, hub, gateway, engine, HTTP
// API, bus) on 127.0.0.1:0 against an embedded NATS server, and talk to
// them over real sockets.

const testWait = 20 * time.Second

var testSecret = []byte("0123456789abcdef0123456789abcdef-cluster-test")

const adminKey = "cluster-test-admin-key"

// node is one gateway process, in-process.
type node struct {
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
	registry    bool // a session registry on JetStream (login policy across nodes)
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
	if err := n.bus.Start(cluster.Handlers{Push: relay.push, Control: relay.control}); err != nil {
		t.Fatal(err)
	}
	var store auth.RefreshStore
	if o.store != nil || o.registry {
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
	var registry gateway.SessionRegistry
	if o.registry {
		if n.reg, err = cluster.OpenRegistry(context.Background(), n.bus.Conn(), cluster.RegistryOptions{Memory: true}); err != nil {
			t.Fatal(err)
		}
		registry = n.reg
	}
	if n.auth, err = auth.New(auth.Config{Secret: testSecret, Users: auth.DemoUsers(), Store: store,
		Throttle: auth.ThrottleConfig{Disabled: true}}); err != nil {
		t.Fatal(err)
	}
	if n.hub, err = hub.New(hub.Config{Shards: 4, OnPresence: n.bus.Interest}); err != nil {
		t.Fatal(err)
	}
	n.gw, err = gateway.New(gateway.Config{Auth: n.auth, Hub: n.hub, Logger: quiet, Cluster: n.bus, AdminKey: adminKey,
		LoginPolicy: o.policy, MaxSessionsPerUser: o.maxSessions, Registry: registry})
	if err != nil {
		t.Fatal(err)
	}
	relay.gw.Store(n.gw)
	n.srv, err = engine.New(n.gw, engine.WithOptions(engine.Options{Loops: 2, PingInterval: -1,
		CloseTimeout: 500 * time.Millisecond, TimerResolution: 20 * time.Millisecond, Logger: quiet}))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- n.srv.Serve("127.0.0.1:0") }()
	<-n.srv.Ready()
	if n.srv.Addr() == nil {
		t.Fatalf("Serve: %v", <-done)
	}
	api := httptest.NewServer(gateway.NewAPI(n.gw, n.srv))
	n.url, n.api = "ws://"+n.srv.Addr().String()+"/", api.URL
	t.Cleanup(func() {
		api.Close()
		ctx, cancel := context.WithTimeout(context.Background(), testWait)
		defer cancel()
		_ = n.srv.Stop(ctx)
		<-done
		if n.reg != nil {
			n.reg.Close()
		}
		n.bus.Close()
		n.hub.Close()
		n.auth.Close()
	})
	return n
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
	tok, _, err := n.auth.IssueAccess(user, "")
	if err != nil {
		t.Fatal(err)
	}
	c := testutil.Dial(t, n.url+testutil.Query("device_id", device, "platform", "test", "token", tok),
		testutil.WithName(user+"/"+device+"@"+n.name))
	if r := c.Read(); r.Code != 200 || r.BodyMap(t)["user_id"] != user {
		t.Fatalf("%s: first frame %+v", c.Name, r)
	}
	return c
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
	req, err := http.NewRequest("POST", n.api+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r reply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, r
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
