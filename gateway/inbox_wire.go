package gateway

import (
	"sync/atomic"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/protocol"
)

// Frames and counters of the inbox (PROTOCOL.md §8).

// inboxCounters count what the inbox path did, for /metrics.
type inboxCounters struct {
	failed   atomic.Int64 // store calls that failed
	gaps     atomic.Int64 // live entries that found a gap and started a read
	replayed atomic.Int64 // entries written from the store (resume, SYNC, gaps)
}

func syncFrame(ref protocol.Ref, r *protocol.SyncResult) []byte {
	b := protocol.AppendResponseHead(engine.NewFrameBuffer(128+len(r.Epoch)), ref, protocol.CodeOK)
	b = protocol.AppendSyncResultBody(b, r)
	return engine.FinishFrame(protocol.AppendResponseTail(b, ""), engine.OpText)
}

func ackFrame(ref protocol.Ref, offset uint64) []byte {
	b := protocol.AppendResponseHead(engine.NewFrameBuffer(96), ref, protocol.CodeOK)
	b = protocol.AppendAckBody(b, offset)
	return engine.FinishFrame(protocol.AppendResponseTail(b, ""), engine.OpText)
}

func sendResultFrameInbox(ref protocol.Ref, msgID string, delivered int, routed bool, offset uint64) []byte {
	b := protocol.AppendResponseHead(engine.NewFrameBuffer(128), ref, protocol.CodeOK)
	b = protocol.AppendSendResultBody(b, &protocol.SendResult{MsgID: msgID, Delivered: delivered, Routed: routed, Offset: offset})
	return engine.FinishFrame(protocol.AppendResponseTail(b, ""), engine.OpText)
}

func firstFrameInbox(sessionID, userID string, expiresAt int64, p protocol.InboxPos) []byte {
	b := protocol.AppendHelloAuthenticatedInbox(engine.NewFrameBuffer(240+len(userID)+len(p.Epoch)), sessionID, userID, expiresAt, p)
	return engine.FinishFrame(b, engine.OpText)
}

// tokensFrameInbox is LOGIN's answer with the inbox position.
func tokensFrameInbox(ref protocol.Ref, sessionID string, res auth.LoginResult, p protocol.InboxPos) []byte {
	body := protocol.LoginResult{UserID: res.UserID, SessionID: sessionID, Tokens: protocol.Tokens{
		AccessToken: res.AccessToken, RefreshToken: res.RefreshToken, ExpiresIn: res.ExpiresIn}}
	b := protocol.AppendResponseHead(engine.NewFrameBuffer(220+len(res.AccessToken)+len(res.RefreshToken)), ref, protocol.CodeOK)
	b = protocol.AppendLoginBodyInbox(b, &body, p)
	return engine.FinishFrame(protocol.AppendResponseTail(b, ""), engine.OpText)
}
