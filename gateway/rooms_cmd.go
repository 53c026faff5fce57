package gateway

import (
	"strings"
	"time"

	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/engine/wsframe"
	"github.com/imgate/gateway/protocol"
)

// This file is the session side of rooms: JOIN, LEAVE and PUBLISH, the
// token's rooms claim, and leaving every room when the session ends. All
// of it runs on the session's loop.

// roomCommand runs JOIN, LEAVE or PUBLISH for an authenticated session.
// Loop only.
func (g *Gateway) roomCommand(s *session, env *protocol.Envelope) error {
	if env.CmdID == protocol.CmdPublish {
		return g.publishCmd(s, env)
	}
	room, err := protocol.DecodeRoom(env.Body)
	if err != nil {
		return err
	}
	if env.CmdID == protocol.CmdJoin {
		if !g.roomAllowed(s, room) {
			return protocol.ErrRoomNotAllowed
		}
		if err := g.joinRoom(s, room); err != nil {
			return err
		}
	} else {
		g.leaveRoom(s, room)
	}
	s.conn().Write(roomReplyFrame(env.Ref, room))
	return nil
}

// roomAllowed reports whether s may JOIN room: it is open, or in the
// session's token claim. Loop only.
func (g *Gateway) roomAllowed(s *session, room string) bool {
	if matchAny(g.rooms.cfg.Open, room) {
		return true
	}
	if rs := s.rooms(); rs != nil {
		for _, c := range rs.claim {
			if c == room {
				return true
			}
		}
	}
	return false
}

// inRoom returns s's membership of room, or nil. Loop only.
func (s *session) inRoom(room string) (int, *membership) {
	rs := s.rooms()
	if rs == nil {
		return -1, nil
	}
	for i, m := range rs.in {
		if m.room.name == room {
			return i, m
		}
	}
	return -1, nil
}

// joinRoom puts s into room (valid; permission already checked). Joining
// twice is not an error; past -max-rooms-per-session it is
// protocol.ErrTooManyRooms. Loop only.
func (g *Gateway) joinRoom(s *session, room string) error {
	if _, m := s.inRoom(room); m != nil {
		return nil
	}
	rs := s.rooms()
	if rs == nil {
		rs = &roomSet{}
		s.setRooms(rs)
	} else if len(rs.in) >= g.rooms.cfg.MaxPerSession {
		return protocol.ErrTooManyRooms
	}
	lr := g.rooms.loopOf(s.conn())
	if lr.rooms[room] == nil {
		room = strings.Clone(room) // the table keeps it; room may alias a request
	}
	m, first := lr.add(s, room)
	rs.in = append(rs.in, m)
	if first {
		g.rooms.dir.add(m.room.name, lr.idx, g.rooms.interest(m.room.name, true))
	}
	return nil
}

// leaveRoom takes s out of room; it reports whether s was in it. Loop only.
func (g *Gateway) leaveRoom(s *session, room string) bool {
	i, m := s.inRoom(room)
	if m == nil {
		return false
	}
	rs := s.rooms()
	in := rs.in
	in[i] = in[len(in)-1]
	in[len(in)-1] = nil
	rs.in = in[:len(in)-1]
	g.dropMembership(s, m)
	if len(rs.in) == 0 && len(rs.claim) == 0 {
		s.setRooms(nil)
	}
	return true
}

// leaveAllRooms takes s out of every room and forgets its claim (close,
// logout, token expiry, another user's login). Loop only.
func (g *Gateway) leaveAllRooms(s *session) {
	rs := s.rooms()
	if rs == nil {
		return
	}
	for _, m := range rs.in {
		g.dropMembership(s, m)
	}
	s.setRooms(nil)
}

func (g *Gateway) dropMembership(s *session, m *membership) {
	lr := g.rooms.loopOf(s.conn())
	name := m.room.name
	if lr.remove(m) {
		g.rooms.dir.remove(name, lr.idx, g.rooms.interest(name, false))
	}
}

// interest returns the directory callback for a node's first member of
// room (on) or its last (off), or nil when nothing listens.
func (r *rooms) interest(room string, on bool) func() {
	if r.onInterest == nil {
		return nil
	}
	return func() { r.onInterest(room, on) }
}

// joinClaim remembers the token's rooms claim and joins its rooms, up to
// -max-rooms-per-session (the rest are skipped and logged). Loop only.
func (g *Gateway) joinClaim(s *session, claim []string) {
	if len(claim) == 0 {
		return
	}
	rs := s.rooms()
	if rs == nil {
		rs = &roomSet{}
		s.setRooms(rs)
	}
	rs.claim = claim
	for i, room := range claim {
		if err := g.joinRoom(s, room); err != nil {
			g.log.Warn("rooms claim past -max-rooms-per-session", "session", s.id(),
				"claimed", len(claim), "max", g.rooms.cfg.MaxPerSession)
			return
		}
		if _, m := s.inRoom(room); m != nil {
			claim[i] = m.room.name // share the table's copy of the name
		}
	}
}

// publishCmd is PUBLISH: one 3101 frame to every member session of the
// room on this node but s; the response follows once every loop with
// members has queued it, with the count.
func (g *Gateway) publishCmd(s *session, env *protocol.Envelope) error {
	var body protocol.Publish
	if err := protocol.DecodePublish(env.Body, &body); err != nil {
		return err
	}
	if matchAny(g.rooms.cfg.ReadOnly, body.Room) {
		return protocol.ErrRoomReadOnly
	}
	_, m := s.inRoom(body.Room)
	if m == nil {
		return protocol.ErrNotMember
	}
	msg := protocol.RoomMessage{Room: m.room.name, MsgID: g.ids.next("m"), FromUID: s.userID(),
		FromDevice: s.deviceID(), Content: body.Content, ClientMsgID: body.ClientMsgID, TS: time.Now().UnixMilli()}
	payload, frame := roomPayloadFrame(&msg)
	routed := g.publishRemote(msg.Room, payload)
	reply, conn, msgID := replyTo(env), s.conn(), msg.MsgID
	g.rooms.publish(msg.Room, frame, s, func(n int) {
		conn.Send(sendResultFrameRouted(reply, msgID, n, routed))
	})
	return nil
}

// publish hands frame to every loop with members of room, in this call's
// order on each loop; except is not delivered to. done, when not nil,
// gets the number of sessions written to, once every loop has run. Any
// goroutine.
func (r *rooms) publish(room string, frame []byte, except *session, done func(int)) {
	var buf [16]int32
	loops := r.dir.loops(buf[:0], room)
	r.handOff(loops, roomJob{room: room, frame: wsframe.New(frame), from: except}, done)
}

// broadcast hands frame to every loop for every authenticated session.
// Any goroutine.
func (r *rooms) broadcast(frame []byte, done func(int)) {
	var loops []int32
	for i, lr := range r.allLoops() {
		if lr != nil {
			loops = append(loops, int32(i))
		}
	}
	r.handOff(loops, roomJob{frame: wsframe.New(frame)}, done)
}

func (r *rooms) handOff(loops []int32, j roomJob, done func(int)) {
	if done != nil {
		if len(loops) == 0 {
			done(0)
			return
		}
		j.res = &pubResult{done: done}
		j.res.left.Store(int32(len(loops)))
	}
	for _, i := range loops {
		r.loopAt(int(i)).push(j)
	}
}

// roomPayloadFrame encodes a 3101 push once: the frame for local members,
// and its payload (the same bytes, without the header) for other nodes.
func roomPayloadFrame(m *protocol.RoomMessage) (payload, frame []byte) {
	b := engine.NewFrameBuffer(160 + len(m.Content) + len(m.Room) + len(m.FromUID))
	b = protocol.AppendRoomMessagePush(b, m)
	payload = b[engine.HeaderRoom:]
	return payload, engine.FinishFrame(b, engine.OpText)
}

// broadcastPayloadFrame encodes a 3102 push once, as roomPayloadFrame.
func broadcastPayloadFrame(msgID string, content []byte, ts int64) (payload, frame []byte) {
	b := engine.NewFrameBuffer(96 + len(content))
	b = protocol.AppendBroadcastPush(b, msgID, content, ts)
	payload = b[engine.HeaderRoom:]
	return payload, engine.FinishFrame(b, engine.OpText)
}

func roomReplyFrame(ref protocol.Ref, room string) []byte {
	b := protocol.AppendResponseHead(engine.NewFrameBuffer(64+len(room)), ref, protocol.CodeOK)
	b = protocol.AppendRoomBody(b, room)
	return engine.FinishFrame(protocol.AppendResponseTail(b, ""), engine.OpText)
}

// roomCmd reports whether cmdID is JOIN, LEAVE or PUBLISH.
func roomCmd(cmdID int) bool {
	return cmdID == protocol.CmdJoin || cmdID == protocol.CmdLeave || cmdID == protocol.CmdPublish
}
