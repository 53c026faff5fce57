package gateway

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/auth/boltstore"
	"github.com/imgate/gateway/hub"
	"github.com/imgate/gateway/internal/testutil"
	"github.com/imgate/gateway/protocol"
)

// shortTTL gives the stack 1-second access tokens and no leeway.
func shortTTL(o *stackOptions) {
	o.authEdit = func(c *auth.Config) { c.AccessTTL, c.Leeway = time.Second, 0 }
}

// The product document's "Token刷新流程", end to end: an expired token
// gets 401 "token expired", POST /api/refresh-token gives a new access
// token, and reconnecting with it gets 200. The tokens' clock is a test
// clock moved past the expiry, so nothing here races the wall clock.
func TestProductRefreshSequence(t *testing.T) {
	var skew atomic.Int64
	o := defaultStackOptions()
	o.authEdit = func(c *auth.Config) {
		c.AccessTTL, c.Leeway = time.Second, 0
		c.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	}
	st := startStack(t, o)
	tk := st.httpLogin(t, "user123", "password123")
	if tk.expiresIn != 1 {
		t.Fatalf("expires_in %v", tk.expiresIn)
	}
	skew.Store(int64(2 * time.Second)) // the access token has expired
	_, r := st.connectWith(t, tk.access, "")
	if r.Code != 401 || !strings.Contains(r.ErrMsg, "token expired") { // the seed's test
		t.Fatalf("first frame with the expired token: %+v", r)
	}
	status, r, _ := st.post(t, "/api/refresh-token", map[string]any{"refresh_token": tk.refresh}, nil)
	if status != 200 || r.Code != 200 || r.ErrMsg != "" {
		t.Fatalf("refresh: %d %+v", status, r)
	}
	fresh := tokensOf(t, r)
	if fresh.refresh == tk.refresh {
		t.Fatal("refresh token not rotated")
	}
	_, first := st.connectWith(t, fresh.access, "")
	if first.Code != 200 || first.BodyMap(t)["user_id"] != "user123" {
		t.Fatalf("reconnect with the new token: %+v", first)
	}
}

// A live session crossing its expiry gets 3004, drops to unauthenticated,
// may REFRESH in time, and is closed 4001 when it does not.
func TestExpiryOnLiveSession(t *testing.T) {
	o := defaultStackOptions()
	shortTTL(&o)
	o.loginTimeout = 3 * time.Second
	st := startStack(t, o)
	c := testutil.Dial(t, st.url)
	c.Read()
	tk := tokensOf(t, c.Login("alice", "alice123", 1))
	r := c.Read() // nothing else is sent to this session before its expiry
	if r.CmdID != 3004 || r.Code != 401 || r.ErrMsg != "token expired" || string(r.Body) != "null" {
		t.Fatalf("want the 3004 push, got %+v", r)
	}
	c.Send(map[string]any{"cmd_id": 2001, "seq": 2, "body": map[string]any{"to_uid": "bob", "content": "x"}})
	if r := c.Read(); r.Code != 401 || r.ErrMsg != protocol.ErrMsgNotAuthenticated {
		t.Fatalf("send after expiry: %+v", r)
	}
	// REFRESH within -login-timeout makes it a session again (the new
	// token lives at most a second: the next 3004, which only a session
	// gets, is the proof).
	if r := c.Refresh(tk.refresh, 3); r.Code != 200 || r.BodyMap(t)["user_id"] != "alice" {
		t.Fatalf("refresh after expiry: %+v", r)
	}
	// It expires again; this time nobody refreshes: 3004, then 4001.
	if r := c.Read(); r.CmdID != 3004 {
		t.Fatalf("want the second 3004, got %+v", r)
	}
	if code := c.ExpectClose(); code != closeAuthTimeout {
		t.Fatalf("close %d, want 4001", code)
	}
}

// An in-band REFRESH moves a live session's expiry forward without a
// reconnect.
func TestRefreshInBandExtendsExpiry(t *testing.T) {
	o := defaultStackOptions()
	o.authEdit = func(c *auth.Config) { c.AccessTTL = 5 * time.Second }
	st := startStack(t, o)
	c := testutil.Dial(t, st.url)
	c.Read()
	tk := tokensOf(t, c.Login("alice", "alice123", 1))
	before := sessionExpiry(t, st, "alice")
	testutil.Eventually(t, testWait, func() error { // exp has whole seconds
		if time.Now().Unix() > before-5 {
			return nil
		}
		return fmt.Errorf("same second")
	})
	r := c.Refresh(tk.refresh, 2)
	if r.Code != 200 || r.Seq != 2 || r.BodyMap(t)["session_id"] == "" {
		t.Fatalf("refresh: %+v", r)
	}
	if after := sessionExpiry(t, st, "alice"); after <= before {
		t.Fatalf("expiry %d → %d: not extended", before, after)
	}
	// A live session cannot use another user's refresh token.
	other := st.httpLogin(t, "bob", "bob123")
	if r := c.Refresh(other.refresh, 3); r.Code != 403 {
		t.Fatalf("bob's token on alice's session: %+v", r)
	}
	if status, _, _ := st.post(t, "/api/refresh-token", map[string]any{"refresh_token": other.refresh}, nil); status != 200 {
		t.Fatalf("bob's token was spent by the refused attempt: %d", status)
	}
}

// sessionExpiry reads, on its loop, the expiry of user's only session.
func sessionExpiry(t *testing.T, st *stack, user string) int64 {
	t.Helper()
	members := make(chan *member, 1)
	st.hub.Sessions(user, func(all []*hub.Member) {
		if len(all) != 1 {
			members <- nil
			return
		}
		members <- memberOf(all[0])
	})
	m := testutil.WaitChan(t, members, "members")
	if m == nil {
		t.Fatalf("%s has not exactly one session", user)
	}
	exp := make(chan int64, 1)
	m.conn().Execute(func() { exp <- m.conn().Context().(*session).expiry() })
	return testutil.WaitChan(t, exp, "exp")
}

// Reusing a spent refresh token revokes the family: its live session is
// kicked, its tokens stop working; other logins of the user are untouched.
func TestRefreshReuseRevokesFamily(t *testing.T) {
	st := startStack(t, defaultStackOptions())
	first := st.httpLogin(t, "alice", "alice123")
	other := st.httpLogin(t, "alice", "alice123")
	_, r, _ := st.post(t, "/api/refresh-token", map[string]any{"refresh_token": first.refresh}, nil)
	second := tokensOf(t, r)
	live, hello := st.connectWith(t, second.access, "")
	if hello.Code != 200 {
		t.Fatalf("first frame %+v", hello)
	}
	bystander, _ := st.connectWith(t, other.access, "")
	// The first refresh token again (HTTP): reuse.
	status, r, _ := st.post(t, "/api/refresh-token", map[string]any{"refresh_token": first.refresh}, nil)
	if status != 401 || r.ErrMsg != protocol.ErrMsgInvalidRefreshToken {
		t.Fatalf("reused token: %d %+v", status, r)
	}
	live.ExpectKicked(reasonRevoked)
	if _, r := st.connectWith(t, second.access, ""); r.Code != 401 || r.ErrMsg != protocol.MsgTokenInvalid {
		t.Fatalf("access token of the revoked family: %+v", r)
	}
	if status, _, _ := st.post(t, "/api/refresh-token", map[string]any{"refresh_token": second.refresh}, nil); status != 401 {
		t.Fatalf("current token of the revoked family: %d", status)
	}
	// In-band reuse is detected the same way.
	c := testutil.Dial(t, st.url)
	c.Read()
	third := tokensOf(t, c.Refresh(other.refresh, 1))
	if r := c.Refresh(other.refresh, 2); r.Code != 401 || r.ErrMsg != protocol.ErrMsgInvalidRefreshToken {
		t.Fatalf("in-band reuse: %+v", r)
	}
	bystander.ExpectKicked(reasonRevoked)
	c.ExpectKicked(reasonRevoked) // c was a session of that family too
	if status, _, _ := st.post(t, "/api/refresh-token", map[string]any{"refresh_token": third.refresh}, nil); status != 401 {
		t.Fatalf("token after in-band reuse: %d", status)
	}
}

// Refresh-token state is on disk: a restart between login and refresh
// keeps the token working, and a spent token spent.
func TestRestartKeepsRefreshState(t *testing.T) {
	dir := t.TempDir()
	var store *boltstore.Store
	withStore := func(o *stackOptions) {
		o.authEdit = func(c *auth.Config) {
			s, err := boltstore.OpenDir(dir, boltstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			c.Store, store = s, s
		}
	}
	o := defaultStackOptions()
	withStore(&o)
	st := startStack(t, o)
	first := st.httpLogin(t, "alice", "alice123")
	_, r, _ := st.post(t, "/api/refresh-token", map[string]any{"refresh_token": first.refresh}, nil)
	second := tokensOf(t, r)
	st.stop()
	if err := store.Close(); err != nil { // the file is locked while open
		t.Fatal(err)
	}

	o = defaultStackOptions()
	withStore(&o)
	st = startStack(t, o)
	status, r, _ := st.post(t, "/api/refresh-token", map[string]any{"refresh_token": second.refresh}, nil)
	if status != 200 {
		t.Fatalf("refresh after restart: %d %+v", status, r)
	}
	if status, _, _ := st.post(t, "/api/refresh-token", map[string]any{"refresh_token": first.refresh}, nil); status != 401 {
		t.Fatalf("spent token after restart: %d", status)
	}
}

// LOGOUT revokes the session's family: another live session of the same
// login is kicked, and neither its refresh nor its access token works.
func TestLogoutRevokesFamily(t *testing.T) {
	st := startStack(t, defaultStackOptions())
	a := testutil.Dial(t, st.url)
	a.Read()
	tk := tokensOf(t, a.Login("alice", "alice123", 1))
	b, hello := st.connectWith(t, tk.access, "")
	if hello.Code != 200 {
		t.Fatalf("first frame %+v", hello)
	}
	a.Send(map[string]any{"cmd_id": 1002, "seq": 2, "body": map[string]any{}})
	if r := a.Read(); r.Code != 200 || r.BodyMap(t)["message"] != "Logged out" {
		t.Fatalf("logout: %+v", r)
	}
	b.ExpectKicked(reasonRevoked)
	if r := a.Refresh(tk.refresh, 3); r.Code != 401 || r.ErrMsg != protocol.ErrMsgInvalidRefreshToken {
		t.Fatalf("refresh after logout: %+v", r)
	}
	if _, r := st.connectWith(t, tk.access, ""); r.Code != 401 {
		t.Fatalf("access token after logout: %+v", r)
	}
}

// A token bound to a device (login on a connection with ?device_id=)
// works only with that device_id, and so does its refresh token.
func TestDeviceBinding(t *testing.T) {
	st := startStack(t, defaultStackOptions())
	c := testutil.Dial(t, st.url+"?device_id=phone1")
	c.Read()
	tk := tokensOf(t, c.Login("alice", "alice123", 1))
	if _, r := st.connectWith(t, tk.access, "laptop"); r.Code != 401 {
		t.Fatalf("access token on another device: %+v", r)
	}
	if _, r := st.connectWith(t, tk.access, ""); r.Code != 401 {
		t.Fatalf("access token without device_id: %+v", r)
	}
	if _, r := st.connectWith(t, tk.access, "phone1"); r.Code != 200 {
		t.Fatalf("access token on its device: %+v", r)
	}
	laptop := testutil.Dial(t, st.url+"?device_id=laptop")
	laptop.Read()
	if r := laptop.Refresh(tk.refresh, 1); r.Code != 401 || r.ErrMsg != protocol.ErrMsgInvalidRefreshToken {
		t.Fatalf("in-band refresh on another device: %+v", r)
	}
	if status, _, _ := st.post(t, "/api/refresh-token", map[string]any{"refresh_token": tk.refresh, "device_id": "laptop"}, nil); status != 401 {
		t.Fatalf("HTTP refresh naming another device: %d", status)
	}
	// Without a device_id the HTTP refresh works, and the new access token
	// is still bound to phone1.
	status, r, _ := st.post(t, "/api/refresh-token", map[string]any{"refresh_token": tk.refresh}, nil)
	if status != 200 {
		t.Fatalf("HTTP refresh: %d %+v", status, r)
	}
	fresh := tokensOf(t, r)
	if _, r := st.connectWith(t, fresh.access, "laptop"); r.Code != 401 {
		t.Fatalf("refreshed token on another device: %+v", r)
	}
	phone := testutil.Dial(t, st.url+"?device_id=phone1")
	phone.Read()
	if r := phone.Refresh(fresh.refresh, 1); r.Code != 200 {
		t.Fatalf("in-band refresh on its device: %+v", r)
	}
}

func TestLoginThrottle(t *testing.T) {
	o := defaultStackOptions()
	o.authEdit = func(c *auth.Config) { c.Throttle = auth.ThrottleConfig{PairFree: 2, Base: time.Minute} }
	st := startStack(t, o)
	c := testutil.Dial(t, st.url)
	c.Read()
	for i := range 2 {
		if r := c.Login("alice", "wrong", i); r.Code != 401 {
			t.Fatalf("wrong password %d: %+v", i, r)
		}
	}
	if r := c.Login("alice", "alice123", 3); r.Code != 429 || r.ErrMsg != protocol.ErrMsgTooManyRequests {
		t.Fatalf("throttled login: %+v", r)
	}
	// Over HTTP (another address family of this test: the same 127.0.0.1).
	status, r, h := st.post(t, "/api/login", map[string]any{"username": "alice", "password": "alice123"}, nil)
	if status != 429 || r.ErrMsg != protocol.ErrMsgTooManyRequests || h.Get("Retry-After") == "" {
		t.Fatalf("HTTP login: %d %+v Retry-After %q", status, r, h.Get("Retry-After"))
	}
	// Another user from the same address is not held up.
	if r := c.Login("bob", "bob123", 4); r.Code != 200 {
		t.Fatalf("bob: %+v", r)
	}
}

func TestAdminKick(t *testing.T) {
	o := defaultStackOptions()
	o.gwEdit = func(c *Config) { c.AdminKey = "admin-secret-key" }
	st := startStack(t, o)
	auth := http.Header{"Authorization": {"Bearer admin-secret-key"}}
	phone := testutil.Dial(t, st.url+"?device_id=phone")
	phone.Read()
	phoneTokens := tokensOf(t, phone.Login("alice", "alice123", 1))
	laptop := testutil.Dial(t, st.url+"?device_id=laptop")
	laptop.Read()
	laptop.Login("alice", "alice123", 1)

	if status, r, _ := st.post(t, "/api/kick", map[string]any{"user_id": "alice"}, nil); status != 401 {
		t.Fatalf("no key: %d %+v", status, r)
	}
	if status, _, _ := st.post(t, "/api/kick", map[string]any{"user_id": "alice"},
		http.Header{"Authorization": {"Bearer wrong"}}); status != 401 {
		t.Fatalf("wrong key: %d", status)
	}
	status, r, _ := st.post(t, "/api/kick", map[string]any{"user_id": "alice", "device_id": "phone"}, auth)
	if status != 200 || r.BodyMap(t)["kicked"] != float64(1) {
		t.Fatalf("kick phone: %d %+v", status, r)
	}
	phone.ExpectKicked(reasonAdmin)
	if status, _, _ := st.post(t, "/api/refresh-token", map[string]any{"refresh_token": phoneTokens.refresh}, nil); status != 401 {
		t.Fatalf("a kicked session refreshed: %d", status)
	}
	status, r, _ = st.post(t, "/api/kick", map[string]any{"user_id": "alice", "reason": "maintenance"}, auth)
	if status != 200 || r.BodyMap(t)["kicked"] != float64(1) {
		t.Fatalf("kick all: %d %+v", status, r)
	}
	laptop.ExpectKicked("maintenance")
}

func TestAdminKickDisabled(t *testing.T) {
	st := startStack(t, defaultStackOptions())
	status, r, _ := st.post(t, "/api/kick", map[string]any{"user_id": "alice"}, http.Header{"Authorization": {"Bearer x"}})
	if status != 403 || !strings.HasPrefix(r.ErrMsg, "forbidden: ") {
		t.Fatalf("kick without an admin key configured: %d %+v", status, r)
	}
}
