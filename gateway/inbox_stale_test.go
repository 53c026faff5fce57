package gateway

import (
	"testing"

	"github.com/imgate/gateway/inbox"
	"github.com/imgate/gateway/internal/testutil"
)

// gatedStore holds every Read until release is closed.
type gatedStore struct {
	inbox.Store
	release chan struct{}
}

func (g *gatedStore) Read(user string, after uint64, limit int) (inbox.Page, error) {
	<-g.release
	return g.Store.Read(user, after, limit)
}

// TestInboxReadAfterLogout: a SYNC whose store read is still in flight
// when the session logs out writes nothing of the old user's inbox to the
// socket (neither entries nor a 200 answer), and the next user's live
// messages still arrive.
func TestInboxReadAfterLogout(t *testing.T) {
	store := &gatedStore{Store: memStore(), release: make(chan struct{})}
	st := inboxStack(t, store)
	api := NewAPI(st.gw, st.srv)
	if status, r := apiCall(t, api, "POST", "/api/push", "admin-key-for-tests", `{"to_uid":"alice","content":"secret"}`); status != 200 || r.Code != 200 {
		t.Fatalf("push: %d %+v", status, r)
	}
	c := testutil.Dial(t, st.url+"?device_id=phone")
	c.Read()
	if r := c.Login("alice", "alice123", 1); r.Code != 200 {
		t.Fatalf("LOGIN alice: %+v", r)
	}
	c.Send(map[string]any{"cmd_id": 1005, "seq": 2, "body": map[string]any{"since": 0}}) // its Read waits
	c.Send(map[string]any{"cmd_id": 1002, "seq": 3})
	for r := c.Read(); r.Seq != 3; r = c.Read() {
		t.Logf("before the LOGOUT answer: %+v", r)
	}
	close(store.release)
	c.Send(map[string]any{"cmd_id": 1001, "seq": 4, "device_id": "phone", "platform": "test",
		"body": map[string]any{"username": "bob", "password": "bob123"}})
	pushed := false
	for {
		r := c.Read()
		if r.CmdID == 3001 && r.BodyMap(t)["content"] == "secret" || r.Seq == 2 && r.Code == 200 {
			t.Fatalf("alice's inbox reached the socket after LOGOUT: %+v", r)
		}
		if r.Seq == 4 && !pushed {
			if r.Code != 200 {
				t.Fatalf("LOGIN bob: %+v", r)
			}
			if status, pr := apiCall(t, api, "POST", "/api/push", "admin-key-for-tests", `{"to_uid":"bob","content":"hello"}`); status != 200 || pr.Code != 200 {
				t.Fatalf("push to bob: %d %+v", status, pr)
			}
			pushed = true
		}
		if r.CmdID == 3001 && r.BodyMap(t)["content"] == "hello" {
			return
		}
	}
}
