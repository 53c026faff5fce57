package gateway

import (
	"strings"
	"time"

	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/engine/wsframe"
	"github.com/imgate/gateway/protocol"
)

// OnMessage runs one client command (PROTOCOL.md §3).
func (g *Gateway) OnMessage(c *engine.Conn, op engine.OpCode, p []byte) {
	s := c.Context().(*session)
	var env protocol.Envelope
	var err error = errBinary
	if op == engine.OpText {
		err = protocol.DecodeEnvelope(p, &env)
	}
	g.countRequest(c, env.CmdID)
	if !g.admitMessage(c, s, &env) {
		return
	}
	if err != nil {
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
		s.conn().Write(heartbeatFrame(env, time.Now().UnixMilli()))
		return nil
	case protocol.CmdLogin:
		return g.login(s, env)
	case protocol.CmdRefresh:
		return g.refresh(s, env)
	case protocol.CmdLogout, protocol.CmdSend, protocol.CmdJoin, protocol.CmdLeave, protocol.CmdPublish:
	case protocol.CmdSync, protocol.CmdAck:
		if g.ib == nil {
			return protocol.UnknownCommand(env.CmdID)
		}
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
		g.logout(s)
		s.conn().Write(logoutFrame(env))
		return nil
	}
	if roomCmd(env.CmdID) {
		return g.roomCommand(s, env)
	}
	switch env.CmdID {
	case protocol.CmdSync:
		return g.syncCmd(s, env)
	case protocol.CmdAck:
		return g.ack(s, env)
	case protocol.CmdSend:
	default:
		return g.forward(s, env)
	}
	return g.send(s, env)
}

// send routes a SEND: one MESSAGE frame to every session of to_uid and to
// the sender's other sessions; the response counts the recipients' sessions.
func (g *Gateway) send(s *session, env *protocol.Envelope) error {
	var body protocol.Send
	if err := protocol.DecodeSend(env.Body, &body); err != nil {
		return err
	}
	msg := protocol.Message{MsgID: g.ids.next("m"), FromUID: s.userID(), FromDevice: s.deviceID(),
		ToUID: body.ToUID, Content: body.Content, ClientMsgID: body.ClientMsgID, TS: time.Now().UnixMilli()}
	if g.ib != nil {
		return g.sendInbox(s, replyTo(env), &msg)
	}
	if g.cluster != nil {
		g.sendRouted(s, replyTo(env), &msg)
		return nil
	}
	frame := wsframe.New(messageFrame(&msg)) // compressed at most once for all recipients
	reply, conn, msgID := replyTo(env), s.conn(), msg.MsgID
	if body.ToUID != s.userID() {
		g.hub.Deliver(s.userID(), frame, &s.member.Member, nil)
	}
	g.hub.Deliver(strings.Clone(body.ToUID), frame, &s.member.Member, func(n int) {
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
