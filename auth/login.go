package auth

import (
	"errors"
	"net/netip"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// LoginRequest is what a client sent to log in.
type LoginRequest struct {
	Username string
	Password string
	// DeviceID, when not empty, binds the login's tokens to that device:
	// the access tokens carry it as "did" and the refresh family refuses
	// other devices.
	DeviceID string
	// ClientAddr is the client's address, for the failed-login throttle
	// (the zero Addr is one address like any other).
	ClientAddr netip.Addr
}

// LoginResult is a successful login or refresh.
type LoginResult struct {
	UserID       string // the username
	DeviceID     string // the device the tokens are bound to; "" none
	Family       string // the refresh-token family ("fid" of the access token)
	AccessToken  string
	RefreshToken string
	ExpiresIn    int64     // seconds until AccessToken expires
	ExpiresAt    time.Time // the access token's "exp"
}

// loginJob is one queued login.
type loginJob struct {
	req  LoginRequest
	done func(LoginResult, error)
}

// Login queues req for a pool worker and returns at once: a *ThrottleError
// (ErrThrottled) when the username or address has failed too often
// recently (see ThrottleConfig), ErrBusy when the queue is full, ErrClosed
// after Close, else nil. For every nil return, done is called exactly once,
// later, on a pool goroutine (never on the caller's), with a LoginResult or
// one of ErrBadCredentials, ErrClosed (the manager closed while req waited),
// a store or a signing error. A successful login starts a refresh-token
// family in the store. done must not block for long: it holds a bcrypt
// worker. Safe for concurrent use.
//
// The password is checked with bcrypt even when the user does not exist
// (against a dummy hash of the store's highest cost), so the time taken
// does not tell which users exist. A username or password that no stored
// account can have (too long, empty) fails without bcrypt.
func (m *Manager) Login(req LoginRequest, done func(LoginResult, error)) error {
	if done == nil {
		panic("auth: Login with nil done")
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return ErrClosed
	}
	if wait := m.throttle.attempt(req.Username, req.ClientAddr); wait > 0 {
		return &ThrottleError{RetryAfter: wait}
	}
	select {
	case m.jobs <- loginJob{req: req, done: done}:
		return nil
	default:
		m.throttle.success(req.Username, req.ClientAddr) // not an attempt after all
		return ErrBusy
	}
}

// Close stops the workers. Logins still queued get ErrClosed; queued store
// work (refreshes, revocations) still runs. Close waits for the workers and
// their callbacks. Verify and the Issue methods keep working. Close is
// idempotent; it must not be called from a Login or store callback. It
// does not close Config.Store.
func (m *Manager) Close() {
	m.mu.Lock()
	if !m.closed {
		m.closed = true
		close(m.jobs)
		close(m.storeJobs)
		close(m.stopPrune)
	}
	m.mu.Unlock()
	m.wg.Wait()
	m.storeGroup.Wait()
}

func (m *Manager) startWorkers(n int) {
	m.wg.Add(n)
	for range n {
		go m.worker()
	}
}

func (m *Manager) worker() {
	defer m.wg.Done()
	for job := range m.jobs {
		if m.isClosed() {
			job.done(LoginResult{}, ErrClosed)
			continue
		}
		res, err := m.login(job.req)
		if err == nil || !errors.Is(err, ErrBadCredentials) {
			m.throttle.success(job.req.Username, job.req.ClientAddr)
		}
		job.done(res, err)
	}
}

func (m *Manager) isClosed() bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.closed
}

// login checks the password and issues tokens. It runs bcrypt: pool
// goroutines only.
func (m *Manager) login(req LoginRequest) (LoginResult, error) {
	if !validUsername(req.Username) || !validPassword(req.Password) {
		return LoginResult{}, ErrBadCredentials
	}
	hash, maxCost := m.users.lookup(req.Username)
	known := hash != nil
	if !known {
		hash = m.dummies.get(maxCost)
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(req.Password)) != nil || !known {
		return LoginResult{}, ErrBadCredentials
	}
	return m.startFamily(req.Username, req.DeviceID)
}

// submitStore queues fn for a store worker: ErrBusy when the queue is full,
// ErrClosed after Close.
func (m *Manager) submitStore(fn func()) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return ErrClosed
	}
	select {
	case m.storeJobs <- fn:
		return nil
	default:
		return ErrBusy
	}
}

func (m *Manager) startStoreWorkers(n int) {
	m.storeGroup.Add(n + 1)
	for range n {
		go func() {
			defer m.storeGroup.Done()
			for fn := range m.storeJobs {
				fn()
			}
		}()
	}
	go m.pruneLoop()
}

// pruneLoop runs Prune every pruneEvery until Close.
func (m *Manager) pruneLoop() {
	defer m.storeGroup.Done()
	t := time.NewTicker(m.pruneEvery)
	defer t.Stop()
	for {
		select {
		case <-m.stopPrune:
			return
		case <-t.C:
			_, _ = m.Prune() // a failure is retried next time
		}
	}
}
