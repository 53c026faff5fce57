package cluster_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/nats-io/nats-server/v2/server"

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

// natsServer is an embedded NATS server that can stop and start again on
// the same port.
type natsServer struct {
	t    testing.TB
	port int
	srv  *server.Server
	dir  string // JetStream storage; "" without JetStream
}

func startNATS(t testing.TB) *natsServer {
	t.Helper()
	ns := &natsServer{t: t, port: -1}
	ns.start()
	t.Cleanup(ns.stop)
	return ns
}

// startNATSJetStream is startNATS with JetStream (key-value buckets).
func startNATSJetStream(t testing.TB) *natsServer {
	t.Helper()
	ns := &natsServer{t: t, port: -1, dir: t.TempDir()}
	ns.start()
	t.Cleanup(ns.stop)
	return ns
}

func (ns *natsServer) start() {
	ns.t.Helper()
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: ns.port, NoLog: true, NoSigs: true,
		JetStream: ns.dir != "", StoreDir: ns.dir})
	if err != nil {
		ns.t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(testWait) {
		ns.t.Fatal("nats server not ready")
	}
	ns.srv, ns.port = srv, srv.Addr().(*net.TCPAddr).Port
}

func (ns *natsServer) stop() {
	if ns.srv != nil {
		ns.srv.Shutdown()
		ns.srv.WaitForShutdown()
		ns.srv = nil
	}
}

func (ns *natsServer) url() string { return "nats://127.0.0.1:" + strconv.Itoa(ns.port) }

// waitInterest polls until n subscriptions match subject.
func (ns *natsServer) waitInterest(t testing.TB, subject string, n int) {
	t.Helper()
	eventually(t, func() error {
		if got := ns.srv.GlobalAccount().Interest(subject); got != n {
			return fmt.Errorf("%s: %d subscriptions, want %d", subject, got, n)
		}
		return nil
	})
}

func eventually(t testing.TB, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(testWait)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		runtime.Gosched()
		time.Sleep(2 * time.Millisecond)
	}
}

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
	if o.store != nil || o.registry {
		eventually(t, func() error {
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
		LoginPolicy: o.policy, MaxSessionsPerUser: o.maxSessions, Registry: registry, Rooms: o.rooms})
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
func startNodes(t testing.TB, ns *natsServer, count int) []*node {
	t.Helper()
	return startNodesWith(t, ns, count, nodeOptions{})
}

func startNodesWith(t testing.TB, ns *natsServer, count int, o nodeOptions) []*node {
	t.Helper()
	nodes := make([]*node, count)
	for i := range nodes {
		nodes[i] = startNodeWith(t, ns.url(), "n"+strconv.Itoa(i+1), o)
	}
	for _, n := range nodes {
		eventually(t, func() error {
			if !n.bus.Ready() {
				return fmt.Errorf("%s: bus not ready", n.name)
			}
			return nil
		})
	}
	return nodes
}

// client is a WebSocket client of one node.
type client struct {
	t    testing.TB
	name string
	conn net.Conn
	rd   *bufio.Reader
}

// connect opens a session of user on n with device id device.
func (n *node) connect(t testing.TB, user, device string) *client {
	t.Helper()
	tok, _, err := n.auth.IssueAccess(user, "")
	if err != nil {
		t.Fatal(err)
	}
	d := ws.Dialer{Timeout: testWait}
	conn, br, _, err := d.Dial(context.Background(), n.url+"?device_id="+device+"&platform=test&token="+tok)
	if err != nil {
		t.Fatalf("dial %s: %v", n.name, err)
	}
	t.Cleanup(func() { conn.Close() })
	if br == nil {
		br = bufio.NewReader(conn)
	}
	c := &client{t: t, name: user + "/" + device + "@" + n.name, conn: conn, rd: br}
	if r := c.read(); r.Code != 200 || r.body(t)["user_id"] != user {
		t.Fatalf("%s: first frame %+v", c.name, r)
	}
	return c
}

type reply struct {
	CmdID  int             `json:"cmd_id"`
	Seq    int64           `json:"seq"`
	Code   int             `json:"code"`
	Body   json.RawMessage `json:"body"`
	ErrMsg string          `json:"err_msg"`
}

func (r reply) body(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body %s: %v", r.Body, err)
	}
	return m
}

func (c *client) read() reply {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(testWait))
	for {
		p, op, err := wsutil.ReadServerData(struct {
			io.Reader
			io.Writer
		}{c.rd, c.conn})
		if err != nil {
			c.t.Fatalf("%s: read: %v", c.name, err)
		}
		if op != ws.OpText {
			continue
		}
		var r reply
		if err := json.Unmarshal(p, &r); err != nil {
			c.t.Fatalf("%s: bad json %q", c.name, p)
		}
		return r
	}
}

func (c *client) send(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := wsutil.WriteClientText(c.conn, b); err != nil {
		c.t.Fatalf("%s: write: %v", c.name, err)
	}
}

// say sends a SEND with content text to user to.
func (c *client) say(seq int, to, text string) {
	c.t.Helper()
	c.send(map[string]any{"cmd_id": 2001, "seq": seq, "body": map[string]any{"to_uid": to, "content": text}})
}

// expectMessage reads the next message and checks it is a MESSAGE push of
// text from from.
func (c *client) expectMessage(from, text string) {
	c.t.Helper()
	r := c.read()
	if r.CmdID != 3001 {
		c.t.Fatalf("%s: want a MESSAGE from %s, got %+v", c.name, from, r)
	}
	if b := r.body(c.t); b["from_uid"] != from || b["content"] != text {
		c.t.Fatalf("%s: want %q from %s, got %v", c.name, text, from, b)
	}
}

// expectResult reads the next message and checks it is the SEND response
// with seq.
func (c *client) expectResult(seq int, delivered float64, routed bool) {
	c.t.Helper()
	r := c.read()
	if r.CmdID != 2001 || int(r.Seq) != seq || r.Code != 200 {
		c.t.Fatalf("%s: want the response to SEND %d, got %+v", c.name, seq, r)
	}
	b := r.body(c.t)
	if b["delivered"] != delivered || (b["routed"] == true) != routed {
		c.t.Fatalf("%s: response %v, want delivered %v routed %v", c.name, b, delivered, routed)
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
