package auth

import (
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imgate/gateway/internal/testutil"
)

// clock is a settable test clock.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(testNow.UnixNano())
	return c
}

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }
func (c *clock) configure(cfg *Config)   { cfg.Now = c.now }
func family(t testing.TB, m *Manager, user, device string) LoginResult {
	t.Helper()
	res, err := m.startFamily(user, device)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestRefreshRotates(t *testing.T) {
	m := newTestManager(t, nil)
	first := family(t, m, "alice", "")
	second, err := m.Refresh(RefreshRequest{Token: first.RefreshToken})
	if err != nil {
		t.Fatal(err)
	}
	if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken ||
		second.Family != first.Family || second.UserID != "alice" || second.ExpiresIn != 900 {
		t.Fatalf("second = %+v", second)
	}
	c, err := m.Verify(second.AccessToken)
	if err != nil || c.Family != first.Family {
		t.Fatalf("new access token: %+v, %v", c, err)
	}
	third, err := m.Refresh(RefreshRequest{Token: second.RefreshToken})
	if err != nil {
		t.Fatal(err)
	}
	// The first token again: a reuse. The family is revoked and named.
	_, err = m.Refresh(RefreshRequest{Token: first.RefreshToken})
	var reuse *ReuseError
	if !errors.As(err, &reuse) || !errors.Is(err, ErrRefreshReused) || reuse.Family.ID != first.Family || reuse.Family.UserID != "alice" {
		t.Fatalf("reuse: %v", err)
	}
	// Everything of the family is dead now, access tokens included.
	if _, err := m.Refresh(RefreshRequest{Token: third.RefreshToken}); !errors.Is(err, ErrRefreshRevoked) {
		t.Fatalf("current token after reuse: %v", err)
	}
	for _, tok := range []string{first.AccessToken, second.AccessToken, third.AccessToken} {
		if _, err := m.Verify(tok); !errors.Is(err, ErrTokenInvalid) {
			t.Fatalf("access token of a revoked family: %v", err)
		}
	}
	// Another login of the same user is untouched.
	other := family(t, m, "alice", "")
	if _, err := m.Refresh(RefreshRequest{Token: other.RefreshToken}); err != nil {
		t.Fatalf("other family: %v", err)
	}
}

func TestRefreshRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  func(res LoginResult) RefreshRequest
		skew time.Duration
		want error
	}{
		{name: "garbage", req: func(LoginResult) RefreshRequest { return RefreshRequest{Token: "nope"} }, want: ErrRefreshInvalid},
		{name: "jwt", req: func(r LoginResult) RefreshRequest { return RefreshRequest{Token: r.AccessToken} }, want: ErrRefreshInvalid},
		{name: "forged secret", want: ErrRefreshInvalid, req: func(r LoginResult) RefreshRequest {
			forged, _ := makeRefreshToken(r.Family, 0)
			return RefreshRequest{Token: forged}
		}},
		{name: "future generation", want: ErrRefreshInvalid, req: func(r LoginResult) RefreshRequest {
			forged, _ := makeRefreshToken(r.Family, 1)
			return RefreshRequest{Token: forged}
		}},
		{name: "unknown family", want: ErrRefreshInvalid, req: func(LoginResult) RefreshRequest {
			forged, _ := makeRefreshToken(newFamilyID(), 0)
			return RefreshRequest{Token: forged}
		}},
		{name: "expired", skew: 720*time.Hour + time.Second, want: ErrRefreshExpired,
			req: func(r LoginResult) RefreshRequest { return RefreshRequest{Token: r.RefreshToken} }},
		{name: "other device", want: ErrRefreshDevice,
			req: func(r LoginResult) RefreshRequest { return RefreshRequest{Token: r.RefreshToken, DeviceID: "laptop"} }},
		{name: "other user", want: ErrRefreshUser,
			req: func(r LoginResult) RefreshRequest { return RefreshRequest{Token: r.RefreshToken, UserID: "bob"} }},
		{name: "no device on a connection", want: ErrRefreshDevice,
			req: func(r LoginResult) RefreshRequest { return RefreshRequest{Token: r.RefreshToken, DeviceKnown: true} }},
		{name: "same device", want: nil,
			req: func(r LoginResult) RefreshRequest { return RefreshRequest{Token: r.RefreshToken, DeviceID: "phone"} }},
		{name: "device unknown", want: nil,
			req: func(r LoginResult) RefreshRequest { return RefreshRequest{Token: r.RefreshToken} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			m := newTestManager(t, clk.configure)
			res := family(t, m, "alice", "phone")
			clk.advance(tc.skew)
			got, err := m.Refresh(tc.req(res))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if err != nil {
				// A refusal spends nothing: the real token still works.
				if tc.want != ErrRefreshExpired {
					if _, err := m.Refresh(RefreshRequest{Token: res.RefreshToken}); err != nil {
						t.Fatalf("token after a refused attempt: %v", err)
					}
				}
				return
			}
			if got.DeviceID != "phone" {
				t.Fatalf("device %q", got.DeviceID)
			}
			if c, err := m.Verify(got.AccessToken); err != nil || c.DeviceID != "phone" {
				t.Fatalf("access token not bound to the device: %+v, %v", c, err)
			}
		})
	}
}

// Two refreshes racing with one token: one wins, the other is a reuse.
func TestRefreshRace(t *testing.T) {
	m := newTestManager(t, nil)
	res := family(t, m, "alice", "")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = m.Refresh(RefreshRequest{Token: res.RefreshToken})
		}()
	}
	wg.Wait()
	ok, reused := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrRefreshReused):
			reused++
		}
	}
	if ok != 1 || reused != 1 {
		t.Fatalf("results %v", errs)
	}
	if !m.IsRevoked(res.Family) {
		t.Fatal("family not revoked")
	}
}

func TestRevoke(t *testing.T) {
	m := newTestManager(t, nil)
	a := family(t, m, "alice", "")
	if err := m.Revoke(a.Family); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Refresh(RefreshRequest{Token: a.RefreshToken}); !errors.Is(err, ErrRefreshRevoked) {
		t.Fatalf("refresh after revoke: %v", err)
	}
	if _, err := m.Verify(a.AccessToken); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("access after revoke: %v", err)
	}
	if err := m.Revoke(a.Family); err != nil {
		t.Fatalf("second revoke: %v", err)
	}
	if err := m.Revoke(newFamilyID()); err != nil {
		t.Fatalf("revoke unknown: %v", err)
	}
}

func TestRevokeUser(t *testing.T) {
	m := newTestManager(t, nil)
	phone, laptop, bob := family(t, m, "alice", "phone"), family(t, m, "alice", "laptop"), family(t, m, "bob", "phone")
	ids, err := m.RevokeUser("alice", "phone")
	if err != nil || len(ids) != 1 || ids[0] != phone.Family {
		t.Fatalf("RevokeUser(alice, phone) = %v, %v", ids, err)
	}
	if !m.IsRevoked(phone.Family) || m.IsRevoked(laptop.Family) || m.IsRevoked(bob.Family) {
		t.Fatal("wrong families revoked")
	}
	if ids, err := m.RevokeUser("alice", ""); err != nil || len(ids) != 1 || ids[0] != laptop.Family {
		t.Fatalf("RevokeUser(alice) = %v, %v", ids, err)
	}
}

// Revocations and spent tokens live in the store: a new Manager on the
// same store (a restart) still refuses them.
func TestStateSurvivesRestart(t *testing.T) {
	store := NewMemoryStore()
	m1 := newTestManager(t, func(c *Config) { c.Store = store })
	a, b := family(t, m1, "alice", ""), family(t, m1, "bob", "")
	if err := m1.Revoke(a.Family); err != nil {
		t.Fatal(err)
	}
	b2, err := m1.Refresh(RefreshRequest{Token: b.RefreshToken})
	if err != nil {
		t.Fatal(err)
	}
	m1.Close()
	m2 := newTestManager(t, func(c *Config) { c.Store = store })
	if _, err := m2.Verify(a.AccessToken); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("revoked family's access token after restart: %v", err)
	}
	if _, err := m2.Refresh(RefreshRequest{Token: b.RefreshToken}); !errors.Is(err, ErrRefreshReused) {
		t.Fatalf("spent token after restart: %v", err)
	}
	if _, err := m2.Refresh(RefreshRequest{Token: b2.RefreshToken}); !errors.Is(err, ErrRefreshRevoked) {
		t.Fatalf("family after reuse: %v", err)
	}
}

func TestRefreshAsync(t *testing.T) {
	m := newTestManager(t, nil)
	res := family(t, m, "alice", "")
	me := goid()
	type out struct {
		res  LoginResult
		err  error
		goid uint64
	}
	ch := make(chan out, 1)
	if err := m.RefreshAsync(RefreshRequest{Token: res.RefreshToken}, func(r LoginResult, err error) { ch <- out{r, err, goid()} }); err != nil {
		t.Fatal(err)
	}
	got := testutil.WaitChan(t, ch, "ch")
	if got.err != nil || got.res.UserID != "alice" || got.goid == me {
		t.Fatalf("got %+v", got)
	}
	done := make(chan error, 1)
	if err := m.RevokeAsync(res.Family, func(err error) { done <- err }); err != nil {
		t.Fatal(err)
	}
	if !m.IsRevoked(res.Family) {
		t.Fatal("RevokeAsync did not take effect at once")
	}
	if err := testutil.WaitChan(t, done, "done"); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if err := m.RefreshAsync(RefreshRequest{}, func(LoginResult, error) {}); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

func TestPrune(t *testing.T) {
	clk := newClock()
	m := newTestManager(t, func(c *Config) { clk.configure(c); c.RefreshTTL = time.Hour })
	a := family(t, m, "alice", "")
	if err := m.Revoke(a.Family); err != nil {
		t.Fatal(err)
	}
	clk.advance(30 * time.Minute)
	b := family(t, m, "bob", "")
	clk.advance(31 * time.Minute)
	if n, err := m.Prune(); err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v", n, err)
	}
	if m.IsRevoked(a.Family) {
		t.Fatal("revocation kept after its access tokens expired")
	}
	if _, err := m.Refresh(RefreshRequest{Token: b.RefreshToken}); err != nil {
		t.Fatalf("live family pruned: %v", err)
	}
}

func TestLoginBindsDevice(t *testing.T) {
	m := newTestManager(t, func(c *Config) { c.Users = testUsers(t) })
	got := loginSync(t, m, LoginRequest{Username: "alice", Password: "alice-pw", DeviceID: "web001",
		ClientAddr: netip.MustParseAddr("127.0.0.1")})
	if got.err != nil || got.res.DeviceID != "web001" || got.res.Family == "" {
		t.Fatalf("login: %+v", got)
	}
	if _, err := m.Refresh(RefreshRequest{Token: got.res.RefreshToken, DeviceID: "web002"}); !errors.Is(err, ErrRefreshDevice) {
		t.Fatalf("refresh from another device: %v", err)
	}
}
