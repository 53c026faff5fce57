package cluster_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/imgate/gateway/cluster"
	"github.com/imgate/gateway/internal/testutil"
	"github.com/imgate/gateway/internal/testutil/natstest"
)

// exampleBackend is the whole loop of a backend service, as README.md
// describes it for backend authors. It serves cmd_id 10001 ("join a room")
// in the queue group "rooms" (run as many copies as you like: each request
// goes to one of them), answers the client through the NATS reply, and
// tells another user about it by publishing a push to that user's subject;
// the gateway nodes with sessions of that user deliver it.
func exampleBackend(t testing.TB, natsURL string) {
	t.Helper()
	nc, err := nats.Connect(natsURL, nats.Name("rooms backend"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	_, err = nc.QueueSubscribe(cluster.UpSubject(10001), "rooms", func(m *nats.Msg) {
		var req struct {
			UserID   string `json:"user_id"`
			DeviceID string `json:"device_id"`
			Body     struct {
				Room   string `json:"room"`
				Notify string `json:"notify"`
			} `json:"body"`
		}
		if err := json.Unmarshal(m.Data, &req); err != nil || req.Body.Room == "" {
			_ = m.Respond([]byte(`{"code":400,"err_msg":"bad request: room missing"}`))
			return
		}
		answer, _ := json.Marshal(map[string]any{"code": 200,
			"body": map[string]any{"room": req.Body.Room, "joined_by": req.UserID, "device": req.DeviceID}})
		_ = m.Respond(answer)
		if req.Body.Notify != "" {
			push, _ := json.Marshal(map[string]any{"cmd_id": 3001, "code": 200, "err_msg": "", "body": map[string]any{
				"msg_id": "rooms-1", "from_uid": "rooms", "from_device": "", "to_uid": req.Body.Notify,
				"content": req.UserID + " joined " + req.Body.Room, "ts": time.Now().UnixMilli()}})
			_ = nc.Publish(cluster.UserSubject(req.Body.Notify), push)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
}

func TestBackendRequestReplyAndPush(t *testing.T) {
	ns := natstest.Start(t)
	exampleBackend(t, ns.URL())
	nodes := startNodes(t, ns, 3)
	alice, bob := nodes[0].connect(t, "alice", "a1"), nodes[2].connect(t, "bob", "b3")
	ns.WaitInterest(t, cluster.UserSubject("bob"), 1)

	alice.Send(map[string]any{"cmd_id": 10001, "seq": 5, "body": map[string]any{"room": "r1", "notify": "bob"}})
	r := alice.Read()
	if b := r.BodyMap(t); r.CmdID != 10001 || r.Seq != 5 || r.Code != 200 || b["room"] != "r1" ||
		b["joined_by"] != "alice" || b["device"] != "a1" {
		t.Fatalf("reply %+v", r)
	}
	bob.ExpectMessage("rooms", "alice joined r1")

	for _, tc := range []struct {
		name string
		msg  map[string]any
		code int
		err  string
	}{
		{name: "backend refuses", msg: map[string]any{"cmd_id": 10001, "seq": 6, "body": map[string]any{}},
			code: 400, err: "bad request: room missing"},
		{name: "no backend", msg: map[string]any{"cmd_id": 10002, "seq": 7},
			code: 503, err: "cluster unavailable: no backend for cmd_id 10002"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			alice.Send(tc.msg)
			if r := alice.Read(); r.Code != tc.code || r.ErrMsg != tc.err || r.Seq != int64(tc.msg["seq"].(int)) {
				t.Fatalf("reply %+v", r)
			}
		})
	}
}

// NATS goes away mid-test and comes back: local delivery never stops,
// remote SENDs and backend commands answer 503 at once, /readyz says so,
// and after the restart cross-node delivery resumes without restarting
// any node.
func TestNATSStopAndRestart(t *testing.T) {
	ns := natstest.Start(t)
	nodes := startNodes(t, ns, 3)
	n1, n2 := nodes[0], nodes[1]
	alice, carol := n1.connect(t, "alice", "a1"), n1.connect(t, "carol", "c1")
	bob := n2.connect(t, "bob", "b2")
	ns.WaitInterest(t, cluster.UserSubject("bob"), 1)
	alice.Say(1, "bob", "before")
	bob.ExpectMessage("alice", "before")
	expectResult(alice, 1, 0, true)

	ns.Stop()
	for _, n := range nodes {
		testutil.Eventually(t, testWait, func() error {
			if s := n.readyz(t); s != http.StatusServiceUnavailable {
				return fmt.Errorf("%s: /readyz %d, want 503", n.name, s)
			}
			return nil
		})
	}
	alice.Say(2, "bob", "while down")
	if r := alice.Read(); r.Seq != 2 || r.Code != 503 || r.ErrMsg != "cluster unavailable" {
		t.Fatalf("remote SEND while down: %+v", r)
	}
	alice.Say(3, "carol", "local while down")
	carol.ExpectMessage("alice", "local while down")
	expectResult(alice, 3, 1, false)
	alice.Send(map[string]any{"cmd_id": 10001, "seq": 4})
	if r := alice.Read(); r.Seq != 4 || r.Code != 503 || r.ErrMsg != "cluster unavailable" {
		t.Fatalf("backend command while down: %+v", r)
	}
	dave := n2.connect(t, "dave", "d2") // a session that arrives while NATS is down

	ns.Start()
	for _, n := range nodes {
		testutil.Eventually(t, testWait, func() error {
			if s := n.readyz(t); s != http.StatusOK {
				return fmt.Errorf("%s: /readyz %d, want 200", n.name, s)
			}
			return nil
		})
	}
	ns.WaitInterest(t, cluster.UserSubject("bob"), 1)
	ns.WaitInterest(t, cluster.UserSubject("dave"), 1)
	alice.Say(5, "bob", "after")
	bob.ExpectMessage("alice", "after")
	expectResult(alice, 5, 0, true)
	alice.Say(6, "dave", "hello dave")
	dave.ExpectMessage("alice", "hello dave")
	expectResult(alice, 6, 0, true)
	bob.Say(1, "alice", "back at you")
	alice.ExpectMessage("bob", "back at you")
	expectResult(bob, 1, 0, true)
}
