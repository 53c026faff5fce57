package auth

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// maxCASRetries bounds the read-check-update rounds of one operation on a
// family that other goroutines (or nodes) keep changing.
const maxCASRetries = 16

// RefreshRequest is a refresh token presented for new tokens.
type RefreshRequest struct {
	Token string
	// DeviceID is the presenting device. A family bound to a device refuses
	// any other (ErrRefreshDevice). "" means unknown (an HTTP call that did
	// not say) unless DeviceKnown is set; either way the new access token is
	// bound to the family's device.
	DeviceID    string
	DeviceKnown bool // DeviceID is the presenter's device even when ""
	// UserID, when set, is the only user whose family may be refreshed
	// (ErrRefreshUser otherwise); nothing is spent then.
	UserID string
}

// Refresh spends req.Token and returns a new access token and the next
// refresh token of its family (rotation). A token spent before revokes the
// whole family and returns a *ReuseError; the other failures are
// ErrRefreshInvalid, ErrRefreshExpired, ErrRefreshRevoked, ErrRefreshDevice,
// ErrRefreshUser, or a store error. It blocks on the store: call it from an
// HTTP handler or a worker, never from an event loop (see RefreshAsync).
func (m *Manager) Refresh(req RefreshRequest) (LoginResult, error) {
	fid, gen, ok := parseRefreshToken(req.Token)
	if !ok {
		return LoginResult{}, ErrRefreshInvalid
	}
	h := hashToken(req.Token)
	for range maxCASRetries {
		f, v, err := m.store.Get(fid)
		if errors.Is(err, ErrFamilyNotFound) {
			return LoginResult{}, ErrRefreshInvalid
		} else if err != nil {
			return LoginResult{}, err
		}
		res, err := m.rotate(&f, v, gen, &h, &req)
		if !errors.Is(err, ErrConflict) {
			return res, err
		}
	}
	return LoginResult{}, fmt.Errorf("%w: family %s keeps changing", ErrStore, fid)
}

// rotate checks the presented token against f (stored as version v) and
// makes the next generation current. ErrConflict: read f again and retry.
func (m *Manager) rotate(f *Family, v Version, gen uint32, h *[32]byte, req *RefreshRequest) (LoginResult, error) {
	now := m.now()
	switch f.state(gen, h) {
	case tokenUnknown:
		return LoginResult{}, ErrRefreshInvalid
	case tokenSpent:
		if f.IsRevoked() {
			return LoginResult{}, ErrRefreshRevoked
		}
		f.Revoked = now
		m.revoked.add(f.ID, m.revokedUntil(now))
		if err := m.store.Update(f, v); err != nil {
			return LoginResult{}, err
		}
		return LoginResult{}, &ReuseError{Family: *f}
	}
	switch {
	case f.IsRevoked(), m.revoked.has(f.ID): // the latter: revoked, not yet persisted
		return LoginResult{}, ErrRefreshRevoked
	case !now.Before(f.Expires), f.Gen == math.MaxUint32:
		return LoginResult{}, ErrRefreshExpired
	case req.UserID != "" && req.UserID != f.UserID:
		return LoginResult{}, ErrRefreshUser
	case f.DeviceID != "" && (req.DeviceID != "" || req.DeviceKnown) && req.DeviceID != f.DeviceID:
		return LoginResult{}, ErrRefreshDevice
	}
	next := *f
	next.Spent[f.Gen%spentRing] = f.Current
	next.Gen++
	tok, nh := makeRefreshToken(f.ID, next.Gen)
	next.Current, next.Expires = nh, now.Add(m.refresh)
	if err := m.store.Update(&next, v); err != nil {
		return LoginResult{}, err
	}
	return m.pair(&next, tok)
}

// startFamily stores a new family for a login and returns its first tokens.
// It blocks on the store.
func (m *Manager) startFamily(userID, deviceID string) (LoginResult, error) {
	now := m.now()
	fid := newFamilyID()
	tok, h := makeRefreshToken(fid, 0)
	f := Family{ID: fid, UserID: userID, DeviceID: deviceID, Created: now, Expires: now.Add(m.refresh), Current: h}
	if err := m.store.Create(&f); err != nil {
		return LoginResult{}, err
	}
	return m.pair(&f, tok)
}

// pair issues an access token for f's user, bound to f's device and
// carrying f's ID, and returns it with the refresh token.
func (m *Manager) pair(f *Family, refresh string) (LoginResult, error) {
	access, exp, err := m.issueAccess(f.UserID, f.DeviceID, f.ID)
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{
		UserID:       f.UserID,
		DeviceID:     f.DeviceID,
		Family:       f.ID,
		AccessToken:  access,
		RefreshToken: refresh,
		ExpiresIn:    int64(m.access / time.Second),
		ExpiresAt:    exp,
	}, nil
}

// Revoke revokes family id: its refresh tokens stop working at once, and so
// do its access tokens (Verify refuses them). Revoking a revoked or unknown
// family is not an error. It blocks on the store (see RevokeAsync).
func (m *Manager) Revoke(id string) error {
	if id == "" {
		return nil
	}
	m.revoked.add(id, m.revokedUntil(m.now()))
	for range maxCASRetries {
		f, v, err := m.store.Get(id)
		if errors.Is(err, ErrFamilyNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		if f.IsRevoked() {
			return nil
		}
		f.Revoked = m.now()
		if err = m.store.Update(&f, v); !errors.Is(err, ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("%w: family %s keeps changing", ErrStore, id)
}

// RevokeUser revokes every family of userID, or with deviceID != "" those
// bound to that device, and returns the IDs it revoked. It blocks on the
// store.
func (m *Manager) RevokeUser(userID, deviceID string) ([]string, error) {
	ids, err := m.store.ByUser(userID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, id := range ids {
		f, _, err := m.store.Get(id)
		if errors.Is(err, ErrFamilyNotFound) {
			continue
		} else if err != nil {
			return out, err
		}
		if f.IsRevoked() || (deviceID != "" && f.DeviceID != deviceID) {
			continue
		}
		if err := m.Revoke(id); err != nil {
			return out, err
		}
		out = append(out, id)
	}
	return out, nil
}

// RefreshAsync runs Refresh on a store worker and calls done there with its
// result; it returns at once: ErrBusy when the queue is full, ErrClosed
// after Close, else nil (done is then called exactly once). done must not
// block for long. Safe for concurrent use, event loops included.
func (m *Manager) RefreshAsync(req RefreshRequest, done func(LoginResult, error)) error {
	return m.submitStore(func() { done(m.Refresh(req)) })
}

// RevokeAsync marks family id revoked at once (Verify refuses its access
// tokens from now on) and persists the revocation on a store worker; done,
// when not nil, gets the store's result there. It returns ErrBusy or
// ErrClosed when the revocation could not be queued (it then holds only in
// memory, until restart). Safe for concurrent use, event loops included.
func (m *Manager) RevokeAsync(id string, done func(error)) error {
	if id == "" {
		return nil
	}
	m.revoked.add(id, m.revokedUntil(m.now()))
	return m.submitStore(func() {
		err := m.Revoke(id)
		if done != nil {
			done(err)
		}
	})
}

// IsRevoked reports whether family id has been revoked recently enough for
// its access tokens to be still unexpired. It does not block.
func (m *Manager) IsRevoked(id string) bool { return id != "" && m.revoked.has(id) }

// MarkRevoked records that family id was revoked elsewhere (another
// gateway node): Verify and Refresh refuse its tokens here from now on, as
// long as IsRevoked would after a local revocation. It does not touch the
// store and does not block.
func (m *Manager) MarkRevoked(id string) {
	if id != "" {
		m.revoked.add(id, m.revokedUntil(m.now()))
	}
}

// revokedUntil is how long a family revoked at now must stay in the
// in-memory set: until the last access token issued before could expire.
func (m *Manager) revokedUntil(now time.Time) time.Time {
	return now.Add(m.access + m.leeway + time.Second)
}

// loadRevoked fills the in-memory set from the store at start.
func (m *Manager) loadRevoked() error {
	now := m.now()
	m.revoked.now = m.now
	fams, err := m.store.RevokedSince(now.Add(-m.access - m.leeway - time.Second))
	if err != nil {
		return err
	}
	for i := range fams {
		m.revoked.add(fams[i].ID, m.revokedUntil(fams[i].Revoked))
	}
	return nil
}

// Prune deletes expired families from the store and forgets revocations
// whose access tokens have all expired. The Manager runs it every
// Config.PruneInterval; it blocks on the store.
func (m *Manager) Prune() (int, error) {
	m.revoked.prune()
	m.throttle.prune()
	return m.store.Prune(m.now())
}
