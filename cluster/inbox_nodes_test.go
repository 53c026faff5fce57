package cluster_test

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/imgate/gateway/internal/testutil"
	"github.com/imgate/gateway/internal/testutil/natstest"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/imgate/gateway/cluster"
	"github.com/imgate/gateway/inbox"
)

// natsInbox gives every node the JetStream inbox store (one stream,
// shared, in files: it survives a NATS restart).
func natsInbox(t *testing.T) func(n *node) inbox.Store {
	return func(n *node) inbox.Store {
		ctx, cancel := context.WithTimeout(context.Background(), testWait)
		defer cancel()
		s, err := inbox.OpenNATS(ctx, n.bus.Conn(), inbox.Limits{MaxEntries: 10_000}, inbox.NATSOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

// connectInbox opens a session of user on n with query appended to the
// URL and returns the first frame's inbox position.
func (n *node) connectInbox(t *testing.T, user, device, query string) (*testutil.Client, string, uint64) {
	t.Helper()
	tok, _, err := n.auth.IssueAccess(user, "")
	if err != nil {
		t.Fatal(err)
	}
	c := testutil.Dial(t, n.url+"?device_id="+device+"&token="+tok+query, testutil.WithName(user+"/"+device+"@"+n.name))
	r := c.Read()
	var b struct {
		UserID string `json:"user_id"`
		Inbox  struct {
			Epoch  string `json:"epoch"`
			Offset uint64 `json:"offset"`
		} `json:"inbox"`
	}
	if err := json.Unmarshal(r.Body, &b); err != nil || r.Code != 200 || b.UserID != user || b.Inbox.Epoch == "" {
		t.Fatalf("%s: first frame %+v", c.Name, r)
	}
	return c, b.Inbox.Epoch, b.Inbox.Offset
}

// entry is a 3001 or 1005 body as the inbox tests read it.
type entry struct {
	CmdID   int
	Offset  uint64 `json:"offset"`
	Prev    uint64 `json:"prev_offset"`
	Content any    `json:"content"`
	More    bool   `json:"more"`
	Lost    bool   `json:"lost"`
}

// tryNext reads the next 3001 or 1005; an error when the connection ends.
func tryNext(c *testutil.Client) (entry, error) {
	_ = c.Conn.SetReadDeadline(time.Now().Add(testWait))
	for {
		p, op, err := wsutil.ReadServerData(struct {
			io.Reader
			io.Writer
		}{c.Rd, c.Conn})
		if err != nil {
			return entry{}, err
		}
		var r reply
		if op != ws.OpText || json.Unmarshal(p, &r) != nil || (r.CmdID != 3001 && r.CmdID != 1005) {
			continue
		}
		var e entry
		if r.Code != 200 || json.Unmarshal(r.Body, &e) != nil {
			return entry{}, errors.New(string(p))
		}
		e.CmdID = r.CmdID
		return e, nil
	}
}

// receiver follows one device of a user: offsets in order, each once.
type receiver struct {
	t      *testing.T
	epoch  string
	last   uint64
	got    map[string]bool
	inSeq  int
	wanted int
}

// take checks one entry; it reports whether the client must SYNC again.
func (rc *receiver) take(c *testutil.Client, e entry) {
	rc.t.Helper()
	if e.CmdID == 1005 {
		if e.Lost || e.Offset != rc.last {
			rc.t.Fatalf("1005 %+v at offset %d", e, rc.last)
		}
		if e.More {
			c.Send(map[string]any{"cmd_id": 1005, "body": map[string]any{"since": rc.last}})
		}
		return
	}
	key, _ := e.Content.(string)
	_, resent := resentContent.Load(key)
	if e.Prev != rc.last || e.Offset <= rc.last || rc.got[key] && !resent {
		rc.t.Fatalf("%s: %+v after offset %d (already got it: %v)", c.Name, e, rc.last, rc.got[key])
	}
	rc.got[key], rc.last = true, e.Offset
}

// retries counts the SENDs answered 503 and sent again.
var retries atomic.Int64

// resentContent holds the contents of SENDs answered 503 and sent again. A
// 503 means the gateway could not confirm the append (a JetStream publish
// whose acknowledgement was lost in a restart may still be stored), so
// the recipient may get such a content twice, as two entries with their
// own offsets; any other content must arrive exactly once.
var resentContent sync.Map

// sender sends total SENDs from c to user "to", up to window in flight,
// resending one answered 503 (the store or NATS down) until it is
// answered 200. acked counts the 200s.
func sender(t *testing.T, c *testutil.Client, to string, total, window int, acked *atomic.Int64) *sync.WaitGroup {
	var wg sync.WaitGroup
	slots := make(chan int, window)
	retry := make(chan int, total)
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i < total; {
			var seq int
			select {
			case seq = <-retry:
			default:
				i++
				seq = i
			}
			slots <- seq
			c.Send(map[string]any{"cmd_id": 2001, "seq": seq, "body": map[string]any{"to_uid": to, "content": strconv.Itoa(seq)}})
		}
		for int(acked.Load()) < total { // the last retries
			select {
			case seq := <-retry:
				slots <- seq
				c.Send(map[string]any{"cmd_id": 2001, "seq": seq, "body": map[string]any{"to_uid": to, "content": strconv.Itoa(seq)}})
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	go func() {
		defer wg.Done()
		for int(acked.Load()) < total {
			r := c.Read()
			if r.CmdID != 2001 {
				continue
			}
			<-slots
			switch r.Code {
			case 200:
				acked.Add(1)
			case 503:
				retries.Add(1)
				resentContent.Store(strconv.Itoa(int(r.Seq)), true)
				time.Sleep(20 * time.Millisecond)
				retry <- int(r.Seq)
			default:
				t.Errorf("SEND %d: %+v", r.Seq, r)
				return
			}
		}
	}()
	return &wg
}

// TestInboxNodeKilled: bob's node is killed (not drained) while alice's
// messages flow to him; bob reconnects to a third node, resumes from the
// last offset he saw, and gets every message exactly once, in order.
func TestInboxNodeKilled(t *testing.T) {
	ns := natstest.StartJetStream(t)
	nodes := startNodesWith(t, ns, 3, nodeOptions{inbox: natsInbox(t)})
	alice := nodes[0].connect(t, "alice", "a1")
	bob, epoch, start := nodes[1].connectInbox(t, "bob", "b1", "")
	ns.WaitInterest(t, cluster.UserSubject("bob"), 1)
	const total = 300
	var acked atomic.Int64
	wg := sender(t, alice, "bob", total, 8, &acked)
	rc := &receiver{t: t, epoch: epoch, last: start, got: map[string]bool{}}
	for len(rc.got) < 100 {
		e, err := tryNext(bob)
		if err != nil {
			t.Fatal(err)
		}
		rc.take(bob, e)
	}
	nodes[1].bus.Close() // killed: no drain, no RECONNECT
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	_ = nodes[1].srv.Stop(ctx)
	cancel()
	bob.Conn.Close()
	bob, _, _ = nodes[2].connectInbox(t, "bob", "b1", "&since="+strconv.FormatUint(rc.last, 10)+"&epoch="+epoch)
	for len(rc.got) < total {
		e, err := tryNext(bob)
		if err != nil {
			t.Fatalf("after %d messages: %v", len(rc.got), err)
		}
		rc.take(bob, e)
	}
	wg.Wait()
}

// TestInboxNATSRestart: NATS restarts while alice sends to bob on another
// node; SENDs during the outage are answered 503 and resent; bob, who
// stays connected, gets every acknowledged message once, in order.
func TestInboxNATSRestart(t *testing.T) {
	ns := natstest.StartJetStream(t)
	nodes := startNodesWith(t, ns, 2, nodeOptions{inbox: natsInbox(t)})
	alice := nodes[0].connect(t, "alice", "a1")
	bob, epoch, start := nodes[1].connectInbox(t, "bob", "b1", "")
	ns.WaitInterest(t, cluster.UserSubject("bob"), 1)
	const total = 200
	var acked atomic.Int64
	wg := sender(t, alice, "bob", total, 4, &acked)
	rc := &receiver{t: t, epoch: epoch, last: start, got: map[string]bool{}}
	restarted := false
	for len(rc.got) < total {
		if len(rc.got) == 50 && !restarted {
			ns.Restart()
			restarted = true
			t.Log("NATS restarted after 50 messages")
		}
		e, err := tryNext(bob)
		if err != nil {
			t.Fatalf("after %d messages: %v", len(rc.got), err)
		}
		rc.take(bob, e)
	}
	wg.Wait()
	t.Logf("%d SENDs answered 503 during the restart and sent again (nats.go buffers publishes while it reconnects)", retries.Load())
}
