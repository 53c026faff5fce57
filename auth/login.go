package auth

import (
	"time"

	"golang.org/x/crypto/bcrypt"
)

// LoginRequest is what a client sent to log in. DeviceID is accepted for
// the caller's bookkeeping but not bound into the tokens: login tokens carry
// no "did" claim (IssueAccess binds one when asked).
type LoginRequest struct {
	Username string
	Password string
	DeviceID string
}

// LoginResult is a successful login.
type LoginResult struct {
	UserID       string // the username
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

// Login queues req for a pool worker and returns at once: ErrBusy when the
// queue is full, ErrClosed after Close, else nil. For every nil return, done
// is called exactly once, later, on a pool goroutine (never on the
// caller's), with a LoginResult or one of ErrBadCredentials, ErrClosed (the
// manager closed while req waited) or a signing error. done must not block
// for long: it holds a bcrypt worker. Safe for concurrent use.
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
	select {
	case m.jobs <- loginJob{req: req, done: done}:
		return nil
	default:
		return ErrBusy
	}
}

// Close stops the login workers. Logins still queued get ErrClosed; Close
// waits for the workers to finish the ones in progress and their callbacks.
// Verify and the Issue methods keep working. Close is idempotent; it must
// not be called from a Login callback.
func (m *Manager) Close() {
	m.mu.Lock()
	if !m.closed {
		m.closed = true
		close(m.jobs)
	}
	m.mu.Unlock()
	m.wg.Wait()
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
	return m.issuePair(req.Username)
}

func (m *Manager) issuePair(userID string) (LoginResult, error) {
	access, exp, err := m.IssueAccess(userID, "")
	if err != nil {
		return LoginResult{}, err
	}
	refresh, _, err := m.IssueRefresh(userID, "")
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{
		UserID:       userID,
		AccessToken:  access,
		RefreshToken: refresh,
		ExpiresIn:    int64(m.access / time.Second),
		ExpiresAt:    exp,
	}, nil
}
