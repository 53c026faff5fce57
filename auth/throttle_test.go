package auth

import (
	"errors"
	"net/netip"
	"testing"
	"time"
)

var (
	addrA = netip.MustParseAddr("192.0.2.1")
	addrB = netip.MustParseAddr("192.0.2.2")
)

func newTestThrottle(clk *clock, edit func(*ThrottleConfig)) *throttle {
	cfg := ThrottleConfig{PairFree: 3, AddrFree: 6, UserFree: 9, Base: time.Second, Max: 8 * time.Second,
		UserMax: 4 * time.Second, Window: time.Minute}
	if edit != nil {
		edit(&cfg)
	}
	return newThrottle(cfg, clk.now)
}

// fail makes n failed attempts of user from addr, each allowed.
func fail(t *testing.T, th *throttle, user string, addr netip.Addr, n int) {
	t.Helper()
	for i := range n {
		if w := th.attempt(user, addr); w != 0 {
			t.Fatalf("attempt %d of %s refused, wait %v", i+1, user, w)
		}
	}
}

func TestThrottlePair(t *testing.T) {
	clk := newClock()
	th := newTestThrottle(clk, nil)
	fail(t, th, "alice", addrA, 3)
	if w := th.attempt("alice", addrA); w != time.Second {
		t.Fatalf("4th attempt: wait %v, want 1s", w)
	}
	// Another address, or another user from the same address, is not held up.
	fail(t, th, "alice", addrB, 1)
	fail(t, th, "bob", addrA, 1)
	clk.advance(time.Second)
	fail(t, th, "alice", addrA, 1)
	if w := th.attempt("alice", addrA); w != 2*time.Second {
		t.Fatalf("backoff doubles: wait %v, want 2s", w)
	}
	for range 10 { // the wait is capped at Max
		clk.advance(time.Minute - time.Millisecond)
		th.attempt("alice", addrA)
	}
	if w := th.attempt("alice", addrA); w > 8*time.Second {
		t.Fatalf("wait %v over Max", w)
	}
	// A quiet Window resets the count.
	clk.advance(time.Minute + time.Second)
	fail(t, th, "alice", addrA, 3)
}

func TestThrottleSuccessResetsPair(t *testing.T) {
	clk := newClock()
	th := newTestThrottle(clk, nil)
	fail(t, th, "alice", addrA, 3)
	th.success("alice", addrA) // the 3rd attempt succeeded
	fail(t, th, "alice", addrA, 3)
	// The pair starts over, not off: past PairFree again it waits Base.
	if w := th.attempt("alice", addrA); w != time.Second {
		t.Fatalf("4th failure after the reset: wait %v, want 1s", w)
	}
}

func TestThrottleAddress(t *testing.T) {
	clk := newClock()
	th := newTestThrottle(clk, nil)
	for _, u := range []string{"u1", "u2", "u3", "u4", "u5", "u6"} {
		fail(t, th, u, addrA, 1)
	}
	if w := th.attempt("u7", addrA); w == 0 {
		t.Fatal("an address guessing many users is not slowed down")
	}
	fail(t, th, "u7", addrB, 1)
}

func TestThrottleIPv6Prefix(t *testing.T) {
	clk := newClock()
	th := newTestThrottle(clk, nil)
	fail(t, th, "alice", netip.MustParseAddr("2001:db8:1:2::1"), 3)
	if w := th.attempt("alice", netip.MustParseAddr("2001:db8:1:2::99")); w == 0 {
		t.Fatal("the same /64 counts as one address")
	}
	fail(t, th, "alice", netip.MustParseAddr("2001:db8:1:3::1"), 1)
}

// Many addresses against one user slow down strangers, but the addresses
// the user logged in from keep working.
func TestThrottleUserNotLockedOut(t *testing.T) {
	clk := newClock()
	th := newTestThrottle(clk, nil)
	fail(t, th, "alice", addrA, 1)
	th.success("alice", addrA)
	for i := range 9 {
		fail(t, th, "alice", netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)}), 1)
	}
	if w := th.attempt("alice", netip.MustParseAddr("10.1.0.1")); w == 0 || w > 4*time.Second {
		t.Fatalf("stranger against a hammered user: wait %v, want (0, UserMax]", w)
	}
	fail(t, th, "alice", addrA, 1) // the user's own address is not held up
}

func TestThrottleBounded(t *testing.T) {
	clk := newClock()
	th := newTestThrottle(clk, func(c *ThrottleConfig) { c.MaxEntries = 50 })
	for i := range 1000 {
		th.attempt("u", netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}))
	}
	th.mu.Lock()
	defer th.mu.Unlock()
	if len(th.pairs) > 50 || len(th.addrs) > 50 {
		t.Fatalf("tables grew to %d and %d entries", len(th.pairs), len(th.addrs))
	}
}

func TestLoginThrottled(t *testing.T) {
	m := newTestManager(t, func(c *Config) {
		c.Users = testUsers(t)
		c.Throttle = ThrottleConfig{PairFree: 2}
	})
	for range 2 {
		if got := loginSync(t, m, LoginRequest{Username: "alice", Password: "wrong", ClientAddr: addrA}); !errors.Is(got.err, ErrBadCredentials) {
			t.Fatalf("login: %v", got.err)
		}
	}
	err := m.Login(LoginRequest{Username: "alice", Password: "alice-pw", ClientAddr: addrA}, func(LoginResult, error) {
		t.Error("throttled login ran")
	})
	var te *ThrottleError
	if !errors.As(err, &te) || !errors.Is(err, ErrThrottled) || te.RetryAfter <= 0 {
		t.Fatalf("third login: %v", err)
	}
	// The right password from another address still works.
	if got := loginSync(t, m, LoginRequest{Username: "alice", Password: "alice-pw", ClientAddr: addrB}); got.err != nil {
		t.Fatalf("login from another address: %v", got.err)
	}
}
