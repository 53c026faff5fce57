package gateway

import (
	"errors"
	"strings"
	"time"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/protocol"
)

// OnMessage runs one client command (PROTOCOL.md §3).
func (g *Gateway) OnMessage(c *engine.Conn, op engine.OpCode, p []byte) {
	s := c.Context().(*session)
	if op != engine.OpText {
		c.Write(errorFrame(nil, errBinary))
		return
	}
	var env protocol.Envelope
	if err := protocol.DecodeEnvelope(p, &env); err != nil {
		c.Write(errorFrame(&env, err))
		return
	}
	if werr := g.dispatch(s, &env); werr != nil {
		c.Write(errorFrame(&env, werr))
	}
}

// dispatch runs env's command; a returned error is answered to the client.
func (g *Gateway) dispatch(s *session, env *protocol.Envelope) error {
	switch env.CmdID {
	case protocol.CmdHeartbeat:
		s.conn.Write(heartbeatFrame(env, time.Now().UnixMilli()))
		return nil
	case protocol.CmdLogin:
		return g.login(s, env)
	case protocol.CmdRefresh:
		return g.refresh(s, env)
	case protocol.CmdLogout, protocol.CmdSend:
	default:
		if !g.backendCommand(env.CmdID) {
			return protocol.UnknownCommand(env.CmdID)
		}
	}
	if !s.authenticated() {
		return errNotAuthenticated
	}
	if env.FromUID != "" && env.FromUID != s.userID() {
		return protocol.Forbidden("from_uid is not the authenticated user")
	}
	if env.CmdID == protocol.CmdLogout {
		g.unauthenticate(s)
		s.conn.Write(logoutFrame(env))
		return nil
	}
	if env.CmdID != protocol.CmdSend {
		return g.forward(s, env)
	}
	return g.send(s, env)
}

// login checks the password on the auth workers and finishes on the loop.
func (g *Gateway) login(s *session, env *protocol.Envelope) error {
	var body protocol.Login
	if err := protocol.DecodeLogin(env.Body, &body); err != nil {
		return err
	}
	if s.loggingIn {
		return errTooMany
	}
	if s.deviceID == "" && validDeviceID(env.DeviceID) {
		s.deviceID = strings.Clone(env.DeviceID)
	}
	req := auth.LoginRequest{Username: strings.Clone(body.Username), Password: strings.Clone(body.Password),
		DeviceID: s.deviceID}
	reply := replyTo(env)
	err := g.auth.Login(req, func(res auth.LoginResult, err error) {
		s.conn.Execute(func() { g.loggedIn(s, reply, res, err) })
	})
	if errors.Is(err, auth.ErrBusy) {
		return errTooMany
	}
	if err != nil {
		return errInternal
	}
	s.loggingIn = true
	return nil
}

// loggedIn finishes a LOGIN on the loop.
func (g *Gateway) loggedIn(s *session, reply protocol.Ref, res auth.LoginResult, err error) {
	s.loggingIn = false
	switch {
	case errors.Is(err, auth.ErrBadCredentials):
		g.log.Debug("login failed", "session", s.id)
		s.conn.Write(errorReply(reply, errBadCredentials))
		return
	case err != nil:
		g.log.Warn("login error", "session", s.id, "err", err)
		s.conn.Write(errorReply(reply, errInternal))
		return
	}
	g.authenticate(s, res.UserID, res.ExpiresAt.Unix())
	g.log.Debug("logged in", "session", s.id, "user", res.UserID)
	s.conn.Write(tokensFrame(reply, s.id, res))
}

// refresh exchanges a refresh token for new tokens; a live session of the
// same user also moves its expiry, an unauthenticated one logs in.
func (g *Gateway) refresh(s *session, env *protocol.Envelope) error {
	var body protocol.Refresh
	if err := protocol.DecodeRefresh(env.Body, &body); err != nil {
		return err
	}
	claims, err := g.auth.VerifyRefresh(body.RefreshToken)
	if errors.Is(err, auth.ErrTokenExpired) {
		return errTokenExpired
	}
	if err != nil {
		return errBadRefresh
	}
	if s.authenticated() && s.userID() != claims.UserID {
		return protocol.Forbidden("refresh token of another user")
	}
	res, err := g.issue(claims.UserID, claims.DeviceID)
	if err != nil {
		return errInternal
	}
	g.authenticate(s, claims.UserID, res.ExpiresAt.Unix())
	s.conn.Write(tokensFrame(replyTo(env), s.id, res))
	return nil
}

// issue makes a new token pair for userID.
func (g *Gateway) issue(userID, deviceID string) (auth.LoginResult, error) {
	access, exp, err := g.auth.IssueAccess(userID, "")
	if err != nil {
		return auth.LoginResult{}, err
	}
	refresh, _, err := g.auth.IssueRefresh(userID, deviceID)
	if err != nil {
		return auth.LoginResult{}, err
	}
	return auth.LoginResult{UserID: userID, AccessToken: access, RefreshToken: refresh,
		ExpiresAt: exp, ExpiresIn: int64(time.Until(exp).Seconds())}, nil
}

// send routes a SEND: one MESSAGE frame to every session of to_uid and to
// the sender's other sessions; the response counts the recipients' sessions.
func (g *Gateway) send(s *session, env *protocol.Envelope) error {
	var body protocol.Send
	if err := protocol.DecodeSend(env.Body, &body); err != nil {
		return err
	}
	msg := protocol.Message{MsgID: g.ids.next("m"), FromUID: s.userID(), FromDevice: s.deviceID,
		ToUID: body.ToUID, Content: body.Content, ClientMsgID: body.ClientMsgID, TS: time.Now().UnixMilli()}
	if g.cluster != nil {
		g.sendRouted(s, replyTo(env), &msg)
		return nil
	}
	frame := messageFrame(&msg)
	reply, conn, msgID := replyTo(env), s.conn, msg.MsgID
	if body.ToUID != s.userID() {
		g.hub.Deliver(s.userID(), frame, s.member, nil)
	}
	g.hub.Deliver(strings.Clone(body.ToUID), frame, s.member, func(n int) {
		conn.Send(sendResultFrame(reply, msgID, n))
	})
	return nil
}

// validDeviceID reports whether a LOGIN's device_id may name the session's
// device (the rules of the device_id query parameter).
func validDeviceID(v string) bool {
	if v == "" || len(v) > 64 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '_' || c == '.' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}
