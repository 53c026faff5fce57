package gateway

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/imgate/gateway/cluster"
	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/engine/wsframe"
	"github.com/imgate/gateway/protocol"
)

// Cluster is the bus to the other gateway nodes; *cluster.Bus implements
// it. Every method is called on event loops and must return at once,
// without waiting for the network.
type Cluster interface {
	// Ready reports whether the bus is connected.
	Ready() bool
	// Publish hands payload, one complete server→client JSON message, to
	// the other nodes with sessions of userID. An error means it was not
	// sent. payload is not modified afterwards.
	Publish(userID string, payload []byte) error
	// Request sends data to the backends of cmdID; unless it returns an
	// error, done runs once later, on another goroutine, with the reply or
	// an error (cluster.ErrNoResponders, cluster.ErrTimeout, …).
	Request(cmdID int, data []byte, done func(reply []byte, err error)) error
}

// remoteStats counts what the bus brought in.
type remoteStats struct {
	pushed   atomic.Int64 // pushes from the bus handed to the hub
	refused  atomic.Int64 // payloads that were not a JSON object in UTF-8, bad control messages
	controls atomic.Int64 // control messages run (kick, revoke, evict)
	// registryFailed counts logins whose policy ran on this node only
	// because the session registry refused or failed.
	registryFailed atomic.Int64
}

// sendRouted is SEND in cluster mode: this node's sessions get the frame
// from the hub, the other nodes get the payload once per user (to_uid, and
// the sender's own user for multi-device sync). When the bus refuses, the
// message reaches this node's sessions only, and a SEND that reached none
// of to_uid's sessions answers 503.
func (g *Gateway) sendRouted(s *session, reply protocol.Ref, msg *protocol.Message) {
	payload, frame := messagePayloadFrame(msg)
	to, from, self := strings.Clone(msg.ToUID), s.userID(), &s.member.Member
	conn, msgID := s.conn(), msg.MsgID
	if g.cluster.Publish(to, payload) == nil {
		if to != from {
			g.hub.Deliver(from, frame, self, nil)
			_ = g.cluster.Publish(from, payload)
		}
		g.hub.Deliver(to, frame, self, func(n int) {
			conn.Send(sendResultFrameRouted(reply, msgID, n, true))
		})
		return
	}
	g.hub.Deliver(to, frame, self, func(n int) {
		if n == 0 {
			conn.Send(errorReply(reply, protocol.ErrClusterUnavailable))
			return
		}
		if to != from {
			g.hub.Deliver(from, frame, self, nil)
		}
		conn.Send(sendResultFrameRouted(reply, msgID, n, false))
	})
}

// backendCommand reports whether cmdID goes to the backends.
func (g *Gateway) backendCommand(cmdID int) bool {
	return g.cluster != nil && cmdID >= protocol.MinBackendCmd
}

// forward sends a backend command to NATS; the reply comes back as the
// response to the client's request, with its cmd_id and seq.
func (g *Gateway) forward(s *session, env *protocol.Envelope) error {
	req := protocol.AppendBackendRequest(make([]byte, 0, 192+len(env.Body)), &protocol.BackendRequest{
		Ref: env.Ref, UserID: s.userID(), SessionID: s.id(), DeviceID: s.deviceID(), Platform: s.platform(), Body: env.Body})
	reply, conn := replyTo(env), s.conn()
	err := g.cluster.Request(env.CmdID, req, func(data []byte, err error) {
		conn.Send(g.backendReplyFrame(reply, data, err))
	})
	if err != nil {
		return clusterError(err, env.CmdID)
	}
	return nil
}

// backendReplyFrame turns a backend's reply, or the failure to get one,
// into the response to the client's request.
func (g *Gateway) backendReplyFrame(ref protocol.Ref, data []byte, err error) []byte {
	if err != nil {
		return errorReply(ref, clusterError(err, ref.CmdID))
	}
	var r protocol.BackendReply
	if err := protocol.DecodeBackendReply(data, &r); err != nil {
		g.log.Warn("backend reply refused", "cmd_id", ref.CmdID, "err", err)
		return errorReply(ref, errInternal)
	}
	b := engine.NewFrameBuffer(96 + len(r.Body) + len(r.ErrMsg))
	return engine.FinishFrame(protocol.AppendResponse(b, ref, r.Code, r.Body, r.ErrMsg), engine.OpText)
}

// clusterError is the wire error for a bus failure: 503, with the reason
// after the fixed "cluster unavailable" where there is one.
func clusterError(err error, cmdID int) *protocol.Error {
	switch {
	case errors.Is(err, cluster.ErrNoResponders):
		return &protocol.Error{Code: protocol.CodeUnavailable,
			Msg: protocol.ErrMsgClusterUnavailable + ": no backend for cmd_id " + strconv.Itoa(cmdID)}
	case errors.Is(err, cluster.ErrTimeout):
		return &protocol.Error{Code: protocol.CodeUnavailable, Msg: protocol.ErrMsgClusterUnavailable + ": backend timeout"}
	}
	return protocol.ErrClusterUnavailable
}

// PushRemote delivers payload, a server→client JSON message that came over
// the bus, to every session of userID on this node. Pass it as
// cluster.Handlers.Push. Anything that is not a JSON object in valid UTF-8
// is dropped (and counted). Any goroutine; it does not block.
func (g *Gateway) PushRemote(userID string, payload []byte) {
	if !pushable(payload) {
		g.remote.refused.Add(1)
		return
	}
	frame := wsframe.New(engine.AppendFrame(make([]byte, 0, len(payload)+engine.HeaderRoom), engine.OpText, payload))
	g.remote.pushed.Add(1)
	if g.ib != nil {
		if off, prev, ok := protocol.MessageOffsets(payload); ok {
			g.deliverEntry(userID, liveEntry{off: off, prev: prev, frame: frame}, nil, nil)
			return
		}
	}
	g.hub.Deliver(userID, frame, nil, nil)
}

// pushable reports whether p can be a text frame holding a JSON object.
func pushable(p []byte) bool {
	i := 0
	for i < len(p) && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n') {
		i++
	}
	return i < len(p) && p[i] == '{' && utf8.Valid(p)
}

// messagePayloadFrame encodes the MESSAGE push once: payload is the JSON
// for the bus, frame the same bytes with a WebSocket header for the hub.
func messagePayloadFrame(m *protocol.Message) (payload []byte, frame *wsframe.Frame) {
	b := engine.NewFrameBuffer(128 + len(m.Content) + len(m.FromUID) + len(m.ToUID))
	b = protocol.AppendMessagePush(b, m)
	return b[engine.HeaderRoom:], wsframe.New(engine.FinishFrame(b, engine.OpText))
}

func sendResultFrameRouted(ref protocol.Ref, msgID string, delivered int, routed bool) []byte {
	b := protocol.AppendResponseHead(engine.NewFrameBuffer(112), ref, protocol.CodeOK)
	b = protocol.AppendSendResultBody(b, &protocol.SendResult{MsgID: msgID, Delivered: delivered, Routed: routed})
	return engine.FinishFrame(protocol.AppendResponseTail(b, ""), engine.OpText)
}

// statsAppender is implemented by a Cluster that reports its counters.
type statsAppender interface {
	AppendStats(dst []byte) []byte
}

// clusterStats is the "cluster" member of the stats JSON; nil on a single
// node.
func (g *Gateway) clusterStats() json.RawMessage {
	if g.cluster == nil {
		return nil
	}
	b := []byte(`{"ready":`)
	b = strconv.AppendBool(b, g.cluster.Ready())
	b = append(b, `,"remote_pushes":`...)
	b = strconv.AppendInt(b, g.remote.pushed.Load(), 10)
	b = append(b, `,"remote_refused":`...)
	b = strconv.AppendInt(b, g.remote.refused.Load(), 10)
	b = append(b, `,"remote_controls":`...)
	b = strconv.AppendInt(b, g.remote.controls.Load(), 10)
	b = append(b, `,"registry_failed":`...)
	b = strconv.AppendInt(b, g.remote.registryFailed.Load(), 10)
	if sa, ok := g.cluster.(statsAppender); ok {
		b = append(b, ',')
		b = sa.AppendStats(b)
	}
	return append(b, '}')
}
