package gateway

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/protocol"
)

// This file is the token lifecycle of a session: LOGIN, REFRESH and LOGOUT
// on the socket, and the expiry of a live session's access token. Password
// checks and refresh-token work run on the auth workers; results come back
// to the loop with Conn.Execute.

// login checks the password on the auth workers and finishes on the loop.
func (g *Gateway) login(s *session, env *protocol.Envelope) error {
	var body protocol.Login
	if err := protocol.DecodeLogin(env.Body, &body); err != nil {
		return err
	}
	if s.busy {
		return errTooMany
	}
	if s.deviceID() == "" && validDeviceID(env.DeviceID) {
		s.setDeviceID(strings.Clone(env.DeviceID))
	}
	req := auth.LoginRequest{Username: strings.Clone(body.Username), Password: strings.Clone(body.Password),
		ClientAddr: addrOf(s.conn().RemoteAddr())}
	if s.deviceBound {
		req.DeviceID = s.deviceID()
	}
	reply := replyTo(env)
	err := g.auth.Login(req, func(res auth.LoginResult, err error) {
		s.conn().Execute(func() { g.loggedIn(s, reply, res, err) })
	})
	switch {
	case errors.Is(err, auth.ErrThrottled), errors.Is(err, auth.ErrBusy):
		g.log.Info("login throttled", "session", s.id(), "err", err)
		g.authFailed(s.conn().Loop(), authLoginBusy)
		return errTooMany
	case err != nil:
		return errInternal
	}
	s.busy = true
	return nil
}

// loggedIn finishes a LOGIN on the loop.
func (g *Gateway) loggedIn(s *session, reply protocol.Ref, res auth.LoginResult, err error) {
	s.busy = false
	switch {
	case errors.Is(err, auth.ErrBadCredentials):
		g.log.Debug("login failed", "session", s.id())
		g.authFailed(s.conn().Loop(), authBadCredentials)
		s.conn().Write(errorReply(reply, errBadCredentials))
		return
	case err != nil:
		g.log.Warn("login error", "session", s.id(), "err", err)
		s.conn().Write(errorReply(reply, errInternal))
		return
	}
	m := g.authenticate(s, grant{userID: res.UserID, family: res.Family, expiresAt: res.ExpiresAt})
	g.ops.stats.add(s.conn().Loop(), cLogins, 1)
	g.log.Debug("logged in", "session", s.id(), "user", res.UserID)
	if g.ib != nil && m != nil {
		g.loginInbox(s, m, reply, res)
		return
	}
	s.conn().Write(tokensFrame(reply, s.id(), res))
}

// refresh spends a refresh token on the auth workers for new tokens; the
// session becomes (or stays) a session of the token's user and its expiry
// moves forward. A live session may only use its own user's tokens.
func (g *Gateway) refresh(s *session, env *protocol.Envelope) error {
	var body protocol.Refresh
	if err := protocol.DecodeRefresh(env.Body, &body); err != nil {
		return err
	}
	if s.busy {
		return errTooMany
	}
	req := auth.RefreshRequest{Token: strings.Clone(body.RefreshToken), DeviceID: s.deviceID(),
		DeviceKnown: true, UserID: s.userID()}
	reply := replyTo(env)
	err := g.auth.RefreshAsync(req, func(res auth.LoginResult, err error) {
		s.conn().Execute(func() { g.refreshed(s, reply, res, err) })
	})
	if errors.Is(err, auth.ErrBusy) {
		return errTooMany
	} else if err != nil {
		return errInternal
	}
	s.busy = true
	return nil
}

// refreshed finishes a REFRESH on the loop.
func (g *Gateway) refreshed(s *session, reply protocol.Ref, res auth.LoginResult, err error) {
	s.busy = false
	if err != nil {
		g.log.Debug("refresh refused", "session", s.id(), "err", err)
		g.authFailed(s.conn().Loop(), refreshFailure(err))
		s.conn().Write(errorReply(reply, g.refreshError(err)))
		g.afterRefreshError(err) // after the reply: this session may be one it kicks
		return
	}
	if m := g.authenticate(s, grant{userID: res.UserID, family: res.Family, expiresAt: res.ExpiresAt}); g.ib != nil && m != nil {
		g.startInbox(m, nil, nil)
	}
	g.ops.stats.add(s.conn().Loop(), cRefreshes, 1)
	s.conn().Write(tokensFrame(reply, s.id(), res))
}

// refreshFailure is the metrics reason of a refused refresh.
func refreshFailure(err error) int {
	if errors.Is(err, auth.ErrRefreshExpired) {
		return authExpiredRefresh
	}
	return authInvalidRefresh
}

// refreshError maps a refresh failure onto the wire.
func (g *Gateway) refreshError(err error) *protocol.Error {
	switch {
	case errors.Is(err, auth.ErrRefreshReused):
		return errBadRefresh
	case errors.Is(err, auth.ErrRefreshExpired):
		return errTokenExpired
	case errors.Is(err, auth.ErrRefreshUser):
		return protocol.Forbidden("refresh token of another user")
	case errors.Is(err, auth.ErrRefreshInvalid), errors.Is(err, auth.ErrRefreshRevoked),
		errors.Is(err, auth.ErrRefreshDevice):
		return errBadRefresh
	case errors.Is(err, auth.ErrBusy):
		return errTooMany
	}
	g.log.Warn("refresh error", "err", err)
	return errInternal
}

// afterRefreshError ends the live sessions of a family revoked because
// one of its refresh tokens was reused.
func (g *Gateway) afterRefreshError(err error) {
	var reuse *auth.ReuseError
	if errors.As(err, &reuse) {
		g.log.Warn("refresh token reused: family revoked", "family", reuse.Family.ID, "user", reuse.Family.UserID)
		g.kickFamily(reuse.Family.UserID, reuse.Family.ID, nil)
		g.announceRevoked(reuse.Family.UserID, reuse.Family.ID)
	}
}

// logout ends the session's authentication and revokes its refresh family;
// the family's other live sessions are kicked ("token revoked").
func (g *Gateway) logout(s *session) {
	m := s.member
	g.unauthenticate(s)
	if m == nil || m.family == "" {
		return
	}
	if err := g.auth.RevokeAsync(m.family, g.logRevokeError(m.family)); err != nil {
		g.log.Warn("revocation not persisted", "family", m.family, "err", err)
	}
	g.kickFamily(m.UserID, m.family, m)
	g.announceRevoked(m.UserID, m.family)
}

// tokenExpired is the 3004 push, the same for every session.
var tokenExpired = engine.FinishFrame(protocol.AppendTokenExpiredPush(engine.NewFrameBuffer(80)), engine.OpText)

// OnTimer runs when a live session's access token has expired (exp plus
// the leeway): the session gets 3004 and drops to unauthenticated, with
// -login-timeout to REFRESH or LOGIN before close 4001.
func (g *Gateway) OnTimer(c *engine.Conn) {
	s, ok := c.Context().(*session)
	if !ok || !s.authenticated() {
		return
	}
	deadline := time.Unix(s.expiry(), 0).Add(g.auth.Leeway())
	if time.Now().Before(deadline) { // the clock of the sweep runs a little behind
		c.SetTimer(deadline)
		return
	}
	g.log.Debug("token expired", "session", s.id(), "user", s.userID())
	g.unauthenticate(s)
	c.Write(tokenExpired)
	g.countPush(c, protocol.CmdTokenExpired)
}

// addrOf returns a connection's IP address (the zero Addr if unknown).
func addrOf(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}
