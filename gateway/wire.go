package gateway

import (
	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/protocol"
)

// This file turns protocol messages into complete WebSocket frames, each
// encoded straight into one buffer with room for the frame header.

// Wire errors the gateway answers with.
var (
	errBinary           = protocol.ErrBinaryFrame
	errNotAuthenticated = protocol.ErrNotAuthenticated
	errBadCredentials   = protocol.ErrBadCredentials
	errTokenExpired     = protocol.ErrTokenExpired
	errBadRefresh       = protocol.ErrInvalidRefreshToken
	errTooLarge         = protocol.ErrMessageTooLarge
	errTooMany          = protocol.ErrTooManyRequests
	errInternal         = protocol.ErrInternal
)

// The two refusal first frames never change: built once, shared by all.
var (
	helloInvalid = engine.FinishFrame(protocol.AppendHelloInvalidToken(engine.NewFrameBuffer(80)), engine.OpText)
	helloExpired = engine.FinishFrame(protocol.AppendHelloExpiredToken(engine.NewFrameBuffer(96)), engine.OpText)
)

func firstFrameRefused(expired bool) []byte {
	if expired {
		return helloExpired
	}
	return helloInvalid
}

func firstFrameAnonymous(sessionID string) []byte {
	return engine.FinishFrame(protocol.AppendHelloAnonymous(engine.NewFrameBuffer(140), sessionID), engine.OpText)
}

func firstFrameAuthenticated(sessionID, userID string, expiresAt int64) []byte {
	b := protocol.AppendHelloAuthenticated(engine.NewFrameBuffer(180+len(userID)), sessionID, userID, expiresAt)
	return engine.FinishFrame(b, engine.OpText)
}

// replyTo returns what a response to env echoes; it outlives env's buffer.
func replyTo(env *protocol.Envelope) protocol.Ref { return env.Ref }

// errorFrame answers env (nil: a response that echoes nothing) with err,
// which is a *protocol.Error or becomes "internal error".
func errorFrame(env *protocol.Envelope, err error) []byte {
	var ref protocol.Ref
	if env != nil {
		ref = env.Ref
	}
	return errorReply(ref, protocol.AsError(err))
}

func errorReply(ref protocol.Ref, e *protocol.Error) []byte {
	return engine.FinishFrame(protocol.AppendError(engine.NewFrameBuffer(96), ref, e), engine.OpText)
}

func heartbeatFrame(env *protocol.Envelope, nowMs int64) []byte {
	b := protocol.AppendResponseHead(engine.NewFrameBuffer(96), env.Ref, protocol.CodeOK)
	b = protocol.AppendHeartbeatBody(b, nowMs)
	return engine.FinishFrame(protocol.AppendResponseTail(b, ""), engine.OpText)
}

func logoutFrame(env *protocol.Envelope) []byte {
	b := protocol.AppendResponseHead(engine.NewFrameBuffer(96), env.Ref, protocol.CodeOK)
	b = protocol.AppendLogoutBody(b)
	return engine.FinishFrame(protocol.AppendResponseTail(b, ""), engine.OpText)
}

// tokensFrame answers a LOGIN or REFRESH with the session's new tokens.
func tokensFrame(ref protocol.Ref, sessionID string, res auth.LoginResult) []byte {
	body := protocol.LoginResult{UserID: res.UserID, SessionID: sessionID, Tokens: protocol.Tokens{
		AccessToken: res.AccessToken, RefreshToken: res.RefreshToken, ExpiresIn: res.ExpiresIn}}
	b := protocol.AppendResponseHead(engine.NewFrameBuffer(160+len(res.AccessToken)+len(res.RefreshToken)), ref, protocol.CodeOK)
	b = protocol.AppendLoginBody(b, &body)
	return engine.FinishFrame(protocol.AppendResponseTail(b, ""), engine.OpText)
}

func sendResultFrame(ref protocol.Ref, msgID string, delivered int) []byte {
	b := protocol.AppendResponseHead(engine.NewFrameBuffer(96), ref, protocol.CodeOK)
	b = protocol.AppendSendResultBody(b, &protocol.SendResult{MsgID: msgID, Delivered: delivered})
	return engine.FinishFrame(protocol.AppendResponseTail(b, ""), engine.OpText)
}

// messageFrame is the MESSAGE push of one SEND, shared by every recipient.
func messageFrame(m *protocol.Message) []byte {
	b := engine.NewFrameBuffer(128 + len(m.Content) + len(m.FromUID) + len(m.ToUID))
	return engine.FinishFrame(protocol.AppendMessagePush(b, m), engine.OpText)
}
