package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/imgate/gateway/internal/testutil"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/imgate/gateway/inbox"
)

// inboxStack is a stack with store as its inbox; the workers stop and the
// store closes when the test ends.
func inboxStack(t *testing.T, store inbox.Store) *stack {
	t.Helper()
	t.Cleanup(func() { _ = store.Close() })
	o := defaultStackOptions()
	o.adminKey = "admin-key-for-tests"
	o.gwEdit = func(c *Config) { c.Inbox, c.InboxWorkers = store, 8 }
	st := startStack(t, o)
	t.Cleanup(func() { st.stop(); st.gw.CloseInbox() })
	return st
}

func memStore() inbox.Store { return inbox.NewMemory(inbox.Limits{}) }

// inboxMsg is a 3001 or 1005 as the tests see it.
type inboxMsg struct {
	cmd        int
	offset     uint64
	prev       uint64
	content    string
	epoch      string
	more, lost bool
	seq        int64
}

func num(t testing.TB, v any) uint64 {
	t.Helper()
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("not a number: %v", v)
	}
	return uint64(f)
}

// inboxMsgOf reads a 3001 or 1005.
func inboxMsgOf(t testing.TB, r testutil.Reply) inboxMsg {
	t.Helper()
	if r.Code != 200 {
		t.Fatalf("cmd %d code %d %q", r.CmdID, r.Code, r.ErrMsg)
	}
	b := r.BodyMap(t)
	m := inboxMsg{cmd: r.CmdID, offset: num(t, b["offset"]), seq: r.Seq}
	if r.CmdID == 3001 {
		m.prev = num(t, b["prev_offset"])
		m.content = fmt.Sprint(b["content"])
	} else {
		m.epoch, m.more, m.lost = b["epoch"].(string), b["more"].(bool), b["lost"].(bool)
	}
	return m
}

// next reads the next 3001 or 1005, skipping SEND responses and others.
func next(c *testutil.Client) inboxMsg {
	c.T.Helper()
	for {
		r := c.Read()
		if r.CmdID != 3001 && r.CmdID != 1005 {
			continue
		}
		return inboxMsgOf(c.T, r)
	}
}

// connectInbox connects user with a token, checks the first frame and
// returns the inbox position it carries.
func (st *stack) connectInbox(t *testing.T, user, device, query string) (*testutil.Client, string, uint64) {
	t.Helper()
	c := testutil.Dial(t, st.url+"?device_id="+device+"&token="+testutil.Token(t, st.auth, user, "")+query)
	r := c.Read()
	b := r.BodyMap(t)
	ib, ok := b["inbox"].(map[string]any)
	if r.Code != 200 || b["user_id"] != user || !ok {
		t.Fatalf("first frame: %+v", r)
	}
	return c, ib["epoch"].(string), num(t, ib["offset"])
}

// sendTo sends one SEND and returns the response's offset (the sender's copy).
func sendTo(c *testutil.Client, to string, seq int, content string) uint64 {
	c.T.Helper()
	c.Send(map[string]any{"cmd_id": 2001, "seq": seq, "body": map[string]any{"to_uid": to, "content": content}})
	for {
		r := c.Read()
		if r.CmdID == 2001 && r.Seq == int64(seq) {
			if r.Code != 200 {
				c.T.Fatalf("SEND: %d %q", r.Code, r.ErrMsg)
			}
			return num(c.T, r.BodyMap(c.T)["offset"])
		}
	}
}

// chain checks that msgs are 3001s with contiguous prev links from first
// and returns the last offset.
func chain(t *testing.T, msgs []inboxMsg, first uint64) uint64 {
	t.Helper()
	last := first
	for i, m := range msgs {
		if m.cmd != 3001 || m.prev != last || m.offset <= last {
			t.Fatalf("message %d: %+v after offset %d", i, m, last)
		}
		last = m.offset
	}
	return last
}

// TestInboxOfflineThenResume: messages sent while bob is offline are
// replayed on ?since=&epoch=, in order, then a 1005 without seq, then live.
func TestInboxOfflineThenResume(t *testing.T) {
	st := inboxStack(t, memStore())
	bob, epoch, start := st.connectInbox(t, "bob", "phone", "")
	bob.Conn.Close()
	alice, _, _ := st.connectInbox(t, "alice", "web", "")
	var own []uint64
	for i := range 5 {
		own = append(own, sendTo(alice, "bob", i+1, "m"+strconv.Itoa(i)))
	}
	if own[0] == 0 || own[4] <= own[0] {
		t.Fatalf("sender offsets %v", own)
	}
	bob, _, latest := st.connectInbox(t, "bob", "phone", "&since="+strconv.FormatUint(start, 10)+"&epoch="+epoch)
	var got []inboxMsg
	for range 5 {
		got = append(got, next(bob))
	}
	last := chain(t, got, start)
	for i, m := range got {
		if m.content != "m"+strconv.Itoa(i) {
			t.Fatalf("message %d is %q", i, m.content)
		}
	}
	if done := next(bob); done.cmd != 1005 || done.offset != last || done.more || done.lost || done.seq != 0 || done.epoch != epoch || latest != last {
		t.Fatalf("resume answer %+v, latest %d, last %d", done, latest, last)
	}
	sendTo(alice, "bob", 9, "live")
	if m := next(bob); m.prev != last || m.content != "live" {
		t.Fatalf("live after resume: %+v", m)
	}
}

// TestInboxSyncLimit: SYNC pages with limit and more; live entries wait.
func TestInboxSyncLimit(t *testing.T) {
	st := inboxStack(t, memStore())
	bob, _, start := st.connectInbox(t, "bob", "phone", "")
	bob.Conn.Close()
	alice, _, _ := st.connectInbox(t, "alice", "web", "")
	for i := range 7 {
		sendTo(alice, "bob", i+1, "m"+strconv.Itoa(i))
	}
	bob, _, _ = st.connectInbox(t, "bob", "phone", "")
	since := start
	for page, want := range []int{3, 3, 1} {
		bob.Send(map[string]any{"cmd_id": 1005, "seq": 100 + page, "body": map[string]any{"since": since, "limit": 3}})
		var got []inboxMsg
		for range want {
			got = append(got, next(bob))
		}
		since = chain(t, got, since)
		done := next(bob)
		if done.cmd != 1005 || done.seq != int64(100+page) || done.offset != since || done.more != (page < 2) || done.lost {
			t.Fatalf("page %d answer %+v", page, done)
		}
	}
}

// TestInboxResumeRace: bob resumes, again and again, while 1,000 messages
// are being sent to him; he gets each exactly once, in order, with no gap.
func TestInboxResumeRace(t *testing.T) {
	st := inboxStack(t, inbox.NewMemory(inbox.Limits{MaxEntries: 5000}))
	bob, epoch, start := st.connectInbox(t, "bob", "phone", "")
	bob.Conn.Close()
	alice, _, _ := st.connectInbox(t, "alice", "web", "")
	const total = 1000
	acked := make(chan int, total)
	window := make(chan struct{}, 16) // SENDs in flight
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // alice's sender: up to 16 SENDs in flight
		defer wg.Done()
		for i := range total {
			window <- struct{}{}
			alice.Send(map[string]any{"cmd_id": 2001, "seq": i + 1, "body": map[string]any{"to_uid": "bob", "content": i}})
		}
	}()
	go func() {
		defer wg.Done()
		defer close(acked)
		for i := range total {
			r, err := alice.TryRead()
			if err != nil || r.Code != 200 {
				t.Errorf("alice: %v %+v", err, r)
				return
			}
			<-window
			acked <- i
		}
	}()
	for range 300 {
		<-acked
	}
	// bob resumes from the last offset he saw, again every 100 messages,
	// while alice's SENDs keep coming.
	last, n := start, 0
	for n < total {
		bob, _, _ = st.connectInbox(t, "bob", "phone", "&since="+strconv.FormatUint(last, 10)+"&epoch="+epoch)
		for stop := min(n+100, total); n < stop; {
			m := next(bob)
			if m.cmd == 1005 {
				if m.offset != last || m.lost {
					t.Fatalf("1005 %+v after offset %d", m, last)
				}
				if m.more {
					bob.Send(map[string]any{"cmd_id": 1005, "body": map[string]any{"since": last}})
				}
				continue
			}
			if m.prev != last || m.offset <= last || m.content != strconv.Itoa(n) {
				t.Fatalf("message %d: %+v after offset %d", n, m, last)
			}
			last, n = m.offset, n+1
		}
		bob.Conn.Close()
	}
	wg.Wait()
}

// TestInboxAckThenSync: SYNC without since starts from the device's ACK;
// a device that never acked gets nothing replayed.
func TestInboxAckThenSync(t *testing.T) {
	st := inboxStack(t, memStore())
	bob, _, start := st.connectInbox(t, "bob", "phone", "")
	alice, _, _ := st.connectInbox(t, "alice", "web", "")
	for i := range 3 {
		sendTo(alice, "bob", i+1, "m"+strconv.Itoa(i))
	}
	got := []inboxMsg{next(bob), next(bob), next(bob)}
	chain(t, got, start)
	bob.Send(map[string]any{"cmd_id": 1006, "seq": 5, "body": map[string]any{"offset": got[1].offset}})
	if r := bob.Read(); r.CmdID != 1006 || r.Code != 200 || num(t, r.BodyMap(t)["offset"]) != got[1].offset {
		t.Fatalf("ACK answer %+v", r)
	}
	bob.Conn.Close()
	bob2, _, _ := st.connectInbox(t, "bob", "phone", "")
	bob2.Send(map[string]any{"cmd_id": 1005, "seq": 6, "body": map[string]any{}})
	if m := next(bob2); m.cmd != 3001 || m.offset != got[2].offset || m.prev != got[1].offset {
		t.Fatalf("SYNC from the cursor: %+v", m)
	}
	if m := next(bob2); m.cmd != 1005 || m.offset != got[2].offset || m.more || m.lost {
		t.Fatalf("SYNC answer %+v", m)
	}
	tablet, _, latest := st.connectInbox(t, "bob", "tablet", "")
	tablet.Send(map[string]any{"cmd_id": 1005, "seq": 7, "body": map[string]any{}})
	if m := next(tablet); m.cmd != 1005 || m.offset != latest {
		t.Fatalf("SYNC of a device that never acked: %+v", m)
	}
}

// TestInboxGapFilled: an entry appended without a live push (a node that
// died between append and publish) is found by the next live entry's
// prev_offset and written from the store first, never skipped.
func TestInboxGapFilled(t *testing.T) {
	store := memStore()
	st := inboxStack(t, store)
	bob, _, start := st.connectInbox(t, "bob", "phone", "")
	alice, _, _ := st.connectInbox(t, "alice", "web", "")
	p, err := store.Append([]inbox.Record{{User: "bob", Data: encodeStored(&testMsgLost, "")}})
	if err != nil {
		t.Fatal(err)
	}
	sendTo(alice, "bob", 1, "after")
	got := []inboxMsg{next(bob), next(bob)}
	chain(t, got, start)
	if got[0].offset != p[0].Offset || got[0].content != "lost" || got[1].content != "after" {
		t.Fatalf("got %+v", got)
	}
}

var testMsgLost = protocolMessage("lost")

// TestInboxAppendFails: a failed append answers 503 and delivers nothing.
func TestInboxAppendFails(t *testing.T) {
	store := &failingStore{Store: memStore()}
	st := inboxStack(t, store)
	bob, _, _ := st.connectInbox(t, "bob", "phone", "")
	alice, _, _ := st.connectInbox(t, "alice", "web", "")
	store.fail.Store(true)
	alice.Send(map[string]any{"cmd_id": 2001, "seq": 1, "body": map[string]any{"to_uid": "bob", "content": "x"}})
	if r := alice.Read(); r.Code != 503 || r.ErrMsg != "inbox unavailable" {
		t.Fatalf("SEND with a failing store: %+v", r)
	}
	store.fail.Store(false)
	sendTo(alice, "bob", 2, "y")
	if m := next(bob); m.content != "y" {
		t.Fatalf("bob got %+v first", m)
	}
}

type failingStore struct {
	inbox.Store
	fail atomicBool
}

func (f *failingStore) Append(recs []inbox.Record) ([]inbox.Pos, error) {
	if f.fail.Load() {
		return nil, errors.New("disk on fire")
	}
	return f.Store.Append(recs)
}

// TestInboxBoltRestart: messages acknowledged before a restart of a bolt
// gateway are replayed after it, in the same epoch.
func TestInboxBoltRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), inbox.BoltFileName)
	open := func() inbox.Store {
		s, err := inbox.OpenBolt(path, inbox.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	store := open()
	st := inboxStack(t, store)
	bob, epoch, start := st.connectInbox(t, "bob", "phone", "")
	bob.Conn.Close()
	alice, _, _ := st.connectInbox(t, "alice", "web", "")
	for i := range 3 {
		sendTo(alice, "bob", i+1, "m"+strconv.Itoa(i))
	}
	st.stop()
	st.gw.CloseInbox()
	_ = store.Close()

	st = inboxStack(t, open())
	bob, epoch2, _ := st.connectInbox(t, "bob", "phone", "&since="+strconv.FormatUint(start, 10)+"&epoch="+epoch)
	got := []inboxMsg{next(bob), next(bob), next(bob)}
	last := chain(t, got, start)
	if done := next(bob); done.cmd != 1005 || done.offset != last || done.lost || epoch2 != epoch {
		t.Fatalf("after restart: %+v, epoch %q then %q", done, epoch, epoch2)
	}
}

// TestInboxEpochLost: a resume from another epoch is answered lost, with
// the latest offset, and nothing replayed.
func TestInboxEpochLost(t *testing.T) {
	st := inboxStack(t, memStore())
	alice, _, _ := st.connectInbox(t, "alice", "web", "")
	off := sendTo(alice, "bob", 1, "x")
	bob, _, _ := st.connectInbox(t, "bob", "phone", "&since=0&epoch=another")
	if m := next(bob); m.cmd != 1005 || !m.lost || m.offset < off-1 || m.offset == 0 {
		t.Fatalf("resume from another epoch: %+v", m)
	}
}

// TestInboxOff: without a store SYNC is an unknown command and MESSAGEs
// carry no offsets, as before the inbox.
func TestInboxOff(t *testing.T) {
	st := startStack(t, defaultStackOptions())
	bob := st.connectAs(t, "bob", "phone")
	alice := st.connectAs(t, "alice", "web")
	alice.Send(map[string]any{"cmd_id": 2001, "seq": 1, "body": map[string]any{"to_uid": "bob", "content": "x"}})
	if r := alice.Read(); r.Code != 200 || r.BodyMap(t)["offset"] != nil {
		t.Fatalf("SEND answer %+v", r)
	}
	if r := bob.Read(); r.CmdID != 3001 || r.BodyMap(t)["offset"] != nil {
		t.Fatalf("MESSAGE %+v", r)
	}
	bob.Send(map[string]any{"cmd_id": 1005, "seq": 2, "body": map[string]any{}})
	if r := bob.Read(); r.Code != 400 {
		t.Fatalf("SYNC with the inbox off: %+v", r)
	}
}

// TestInboxMetrics: /metrics shows the store's entries and bytes.
func TestInboxMetrics(t *testing.T) {
	st := inboxStack(t, memStore())
	alice, _, _ := st.connectInbox(t, "alice", "web", "")
	sendTo(alice, "bob", 1, "x")
	base := st.serveAPI(t)
	testutil.Eventually(t, testWait, wantMetric(t, base, "imgate_inbox_entries", 2))
	testutil.Eventually(t, testWait, wantMetric(t, base, "imgate_inbox_appends_total", 2))
	mf := scrape(t, base)
	if v, ok := metricValue(mf, "imgate_inbox_bytes"); !ok || v <= 0 {
		t.Fatalf("imgate_inbox_bytes = %v, %v", v, ok)
	}
}

// TestInboxCatchUpSkipsOwn: a gap's catch-up gives a session what it
// missed but not its own SEND (answered to it, not pushed), while the
// user's other session gets that SEND as usual.
func TestInboxCatchUpSkipsOwn(t *testing.T) {
	store := memStore()
	st := inboxStack(t, store)
	alice, _, start := st.connectInbox(t, "alice", "web", "")
	alice2, _, _ := st.connectInbox(t, "alice", "phone", "")
	carol, _, _ := st.connectInbox(t, "carol", "web", "")
	missed, err := store.Append([]inbox.Record{{User: "alice", Data: encodeStored(&testMsgLost, "")}})
	if err != nil {
		t.Fatal(err)
	}
	// The catch-up of what alice missed may reach her before her SEND's
	// answer: keep the pushes read while waiting for it.
	alice.Send(map[string]any{"cmd_id": 2001, "seq": 1, "body": map[string]any{"to_uid": "bob", "content": "mine"}})
	var own uint64
	var got []inboxMsg
	for own == 0 {
		switch r := alice.Read(); {
		case r.CmdID == 2001 && r.Seq == 1:
			own = num(t, r.BodyMap(t)["offset"])
		case r.CmdID == 3001:
			got = append(got, inboxMsgOf(t, r))
		}
	}
	sendTo(carol, "alice", 2, "from carol")
	for len(got) < 2 {
		got = append(got, next(alice))
	}
	if got[0].offset != missed[0].Offset || got[0].prev != start || got[1].content != "from carol" || got[1].prev != own {
		t.Fatalf("alice got %+v; missed %d, own %d", got, missed[0].Offset, own)
	}
	got2 := []inboxMsg{next(alice2), next(alice2), next(alice2)}
	chain(t, got2, start)
	if got2[1].content != "mine" || got2[1].offset != own {
		t.Fatalf("alice's other session got %+v", got2)
	}
}

// TestInboxPushAndLogin: POST /api/push appends to the recipient's inbox
// (an offline user gets it on resume), and LOGIN's answer carries the
// inbox position.
func TestInboxPushAndLogin(t *testing.T) {
	st := inboxStack(t, memStore())
	api := NewAPI(st.gw, st.srv)
	status, r := apiCall(t, api, "POST", "/api/push", "admin-key-for-tests", `{"to_uid":"bob","content":"pushed"}`)
	if status != 200 || r.Code != 200 {
		t.Fatalf("push: %d %+v", status, r)
	}
	c := testutil.Dial(t, st.url+"?device_id=phone")
	c.Read()
	lr := c.Login("bob", "bob123", 1)
	var b struct {
		Inbox struct {
			Epoch  string `json:"epoch"`
			Offset uint64 `json:"offset"`
		} `json:"inbox"`
	}
	if err := json.Unmarshal(lr.Body, &b); err != nil || lr.Code != 200 || b.Inbox.Epoch == "" || b.Inbox.Offset == 0 {
		t.Fatalf("LOGIN answer %+v", lr)
	}
	c.Send(map[string]any{"cmd_id": 1005, "seq": 2, "body": map[string]any{"since": 0}})
	if m := next(c); m.cmd != 3001 || m.content != "pushed" || m.offset != b.Inbox.Offset || m.prev != 0 {
		t.Fatalf("SYNC after the push: %+v", m)
	}
}
