package auth

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/imgate/gateway/internal/testutil"
)

type loginOutcome struct {
	res  LoginResult
	err  error
	goid uint64
}

// loginSync runs one login and waits for its callback.
func loginSync(t *testing.T, m *Manager, req LoginRequest) loginOutcome {
	t.Helper()
	ch := make(chan loginOutcome, 1)
	if err := m.Login(req, func(r LoginResult, err error) { ch <- loginOutcome{res: r, err: err, goid: goid()} }); err != nil {
		t.Fatalf("Login: %v", err)
	}
	return testutil.WaitChan(t, ch, "ch")
}

func TestLogin(t *testing.T) {
	for _, tc := range []struct {
		name     string
		users    func(t testing.TB) *Users
		user, pw string
		want     error
	}{
		{name: "success", users: testUsers, user: "alice", pw: "alice-pw"},
		{name: "wrong password", users: testUsers, user: "alice", pw: "bob-pw", want: ErrBadCredentials},
		{name: "unknown user", users: testUsers, user: "carol", pw: "alice-pw", want: ErrBadCredentials},
		{name: "empty password", users: testUsers, user: "alice", want: ErrBadCredentials},
		{name: "empty username", users: testUsers, pw: "alice-pw", want: ErrBadCredentials},
		{name: "password over 72 bytes", users: testUsers, user: "alice", pw: "alice-pw" + strings.Repeat("x", 72), want: ErrBadCredentials},
		{name: "username over 128 bytes", users: testUsers, user: strings.Repeat("a", 129), pw: "alice-pw", want: ErrBadCredentials},
		{name: "nil store", users: func(testing.TB) *Users { return nil }, user: "alice", pw: "alice-pw", want: ErrBadCredentials},
		{name: "demo user", users: func(testing.TB) *Users { return DemoUsers() }, user: "user123", pw: "password123"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newTestManager(t, func(c *Config) { c.Users = tc.users(t) })
			got := loginSync(t, m, LoginRequest{Username: tc.user, Password: tc.pw, DeviceID: "web001"})
			if !errors.Is(got.err, tc.want) {
				t.Fatalf("err = %v, want %v", got.err, tc.want)
			}
			if tc.want == nil {
				checkLoginResult(t, m, got.res, tc.user)
			}
		})
	}
}

func checkLoginResult(t *testing.T, m *Manager, r LoginResult, user string) {
	t.Helper()
	if r.UserID != user || r.ExpiresIn != 900 || !r.ExpiresAt.Equal(testNow.Add(15*time.Minute)) {
		t.Fatalf("result = %+v", r)
	}
	if c, err := m.Verify(r.AccessToken); err != nil || c.UserID != user || c.DeviceID != r.DeviceID || c.Family != r.Family {
		t.Fatalf("access token: %+v, %v", c, err)
	}
	if got, err := m.Refresh(RefreshRequest{Token: r.RefreshToken}); err != nil || got.UserID != user {
		t.Fatalf("refresh token: %+v, %v", got, err)
	}
}

func TestLoginCallbackOffCallerGoroutine(t *testing.T) {
	m := newTestManager(t, func(c *Config) { c.Users = testUsers(t) })
	me := goid()
	for _, pw := range []string{"alice-pw", "wrong", strings.Repeat("x", 100)} {
		if got := loginSync(t, m, LoginRequest{Username: "alice", Password: pw}); got.goid == me {
			t.Fatalf("password %d bytes: done ran on the caller's goroutine", len(pw))
		}
	}
}

func TestLoginBusy(t *testing.T) {
	m := newTestManager(t, func(c *Config) { c.Users, c.Workers, c.QueueSize = testUsers(t), 1, 1 })
	entered, release := make(chan struct{}), make(chan struct{})
	results := make(chan error, 2)
	req := LoginRequest{Username: "alice", Password: "alice-pw"}
	// The first login holds the only worker inside its callback.
	if err := m.Login(req, func(_ LoginResult, err error) {
		close(entered)
		<-release
		results <- err
	}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitChan(t, entered, "entered")
	// The second fills the queue; the third finds it full.
	if err := m.Login(req, func(_ LoginResult, err error) { results <- err }); err != nil {
		t.Fatal(err)
	}
	if err := m.Login(req, func(LoginResult, error) { t.Error("done called for a refused login") }); !errors.Is(err, ErrBusy) {
		t.Fatalf("third Login = %v, want ErrBusy", err)
	}
	close(release)
	for range 2 {
		if err := testutil.WaitChan(t, results, "results"); err != nil {
			t.Fatalf("queued login: %v", err)
		}
	}
}

func TestLoginClose(t *testing.T) {
	m := newTestManager(t, func(c *Config) { c.Users, c.Workers, c.QueueSize = testUsers(t), 1, 4 })
	entered, release := make(chan struct{}), make(chan struct{})
	queued := make(chan error, 1)
	req := LoginRequest{Username: "alice", Password: "alice-pw"}
	if err := m.Login(req, func(LoginResult, error) { close(entered); <-release }); err != nil {
		t.Fatal(err)
	}
	testutil.WaitChan(t, entered, "entered")
	if err := m.Login(req, func(_ LoginResult, err error) { queued <- err }); err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	go func() { m.Close(); close(closed) }()
	testutil.Eventually(t, 10*time.Second, func() error {
		if !m.isClosed() {
			return errors.New("Close has not started")
		}
		return nil
	})
	if err := m.Login(req, func(LoginResult, error) {}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Login after Close = %v, want ErrClosed", err)
	}
	close(release)
	if err := testutil.WaitChan(t, queued, "queued"); !errors.Is(err, ErrClosed) {
		t.Fatalf("queued login got %v, want ErrClosed", err)
	}
	testutil.WaitChan(t, closed, "closed")
	m.Close() // idempotent
	if _, _, err := m.IssueAccess("alice", ""); err != nil {
		t.Fatalf("IssueAccess after Close: %v", err)
	}
}

func TestLoginConcurrent(t *testing.T) {
	m := newTestManager(t, func(c *Config) { c.Users, c.Workers, c.Throttle.Disabled = testUsers(t), 2, true })
	const n = 50
	errs := make(chan error, n)
	for i := range n {
		req := LoginRequest{Username: "bob", Password: "bob-pw"}
		want := error(nil)
		if i%2 == 1 {
			req.Password, want = "nope", ErrBadCredentials
		}
		if err := m.Login(req, func(_ LoginResult, err error) {
			if !errors.Is(err, want) {
				err = fmt.Errorf("got %v, want %v", err, want)
			} else {
				err = nil
			}
			errs <- err
		}); err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		if err := testutil.WaitChan(t, errs, "errs"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDummyHashCost(t *testing.T) {
	var d dummyHashes
	for _, tc := range []struct{ in, want int }{{0, DefaultCost}, {DefaultCost, DefaultCost}, {bcrypt.MinCost, bcrypt.MinCost}} {
		cost, err := bcrypt.Cost(d.get(tc.in))
		if err != nil || cost != tc.want {
			t.Fatalf("get(%d): cost %d, %v; want %d", tc.in, cost, err, tc.want)
		}
	}
	if _, maxCost := testUsers(t).lookup("nobody"); maxCost != bcrypt.MinCost {
		t.Fatalf("store max cost = %d, want %d", maxCost, bcrypt.MinCost)
	}
}
