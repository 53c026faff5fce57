package gateway

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/imgate/gateway/hub"
	"github.com/imgate/gateway/protocol"
)

// The admin endpoints of rooms (PROTOCOL.md §6): POST /api/rooms/join,
// /api/rooms/leave, /api/rooms/publish and POST /api/broadcast. Counts are
// this node's; in cluster mode the other nodes act too and "routed":true
// says the bus took the message.

// apiRoomJoin is POST /api/rooms/join {"user_id","room"} → {"joined":n}.
func (g *Gateway) apiRoomJoin(w http.ResponseWriter, r *http.Request) { g.apiRoomMember(w, r, true) }

// apiRoomLeave is POST /api/rooms/leave {"user_id","room"} → {"left":n}.
func (g *Gateway) apiRoomLeave(w http.ResponseWriter, r *http.Request) { g.apiRoomMember(w, r, false) }

func (g *Gateway) apiRoomMember(w http.ResponseWriter, r *http.Request, join bool) {
	if !g.admin(w, r) {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var in protocol.RoomMember
	if err := protocol.DecodeRoomMember(body, &in); err != nil {
		writeError(w, err)
		return
	}
	user, room := strings.Clone(in.UserID), strings.Clone(in.Room)
	kind, key := controlRoomLeave, "left"
	if join {
		kind, key = controlRoomJoin, "joined"
	}
	routed := g.sendControl(&controlMsg{Room: room}, func(c Controller, data []byte) error {
		return c.PublishControl(user, kind, data)
	})
	ctx, cancel := context.WithTimeout(r.Context(), pushWait)
	defer cancel()
	n, ok := g.roomMemberCount(ctx, user, room, join)
	if !ok {
		writeError(w, errInternal)
		return
	}
	writeOK(w, appendRouted(protocol.AppendCountBody(nil, key, n), routed))
}

// roomMemberCount runs roomMember and waits for its count. Not for loops.
func (g *Gateway) roomMemberCount(ctx context.Context, user, room string, join bool) (int, bool) {
	ch := make(chan int, 1)
	g.roomMember(user, room, join, func(n int) { ch <- n })
	select {
	case n := <-ch:
		return n, true
	case <-ctx.Done():
		return 0, false
	}
}

// roomMember makes every live session of user on this node join (or
// leave) room on its own loop, with the limits a JOIN has (not the
// open/claim check: backends decide). done gets how many sessions joined
// (were already in or came in) or left. Any goroutine.
func (g *Gateway) roomMember(user, room string, join bool, done func(int)) {
	g.hub.Sessions(user, func(all []*hub.Member) {
		if len(all) == 0 {
			done(0)
			return
		}
		var n atomic.Int64
		var left atomic.Int32
		left.Store(int32(len(all)))
		for _, hm := range all {
			m := memberOf(hm)
			c := m.conn()
			c.LoopRef().Execute(func() {
				if s, ok := c.Context().(*session); ok && s.member == m && g.applyRoomMember(s, room, join) {
					n.Add(1)
				}
				if left.Add(-1) == 0 {
					done(int(n.Load()))
				}
			})
		}
	})
}

// applyRoomMember joins or leaves room for s; it reports whether it
// counts. Loop only.
func (g *Gateway) applyRoomMember(s *session, room string, join bool) bool {
	if !join {
		return g.leaveRoom(s, room)
	}
	if err := g.joinRoom(s, room); err != nil {
		g.log.Info("admin join refused", "session", s.id(), "room", room, "err", err)
		return false
	}
	return true
}

// apiRoomPublish is POST /api/rooms/publish {"room","content"} →
// {"delivered":n}: a 3101 with from_uid "" to every member on this node.
func (g *Gateway) apiRoomPublish(w http.ResponseWriter, r *http.Request) {
	if !g.admin(w, r) {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var in protocol.Publish
	if err := protocol.DecodePublish(body, &in); err != nil {
		writeError(w, err)
		return
	}
	msg := protocol.RoomMessage{Room: strings.Clone(in.Room), MsgID: g.ids.next("m"), Content: in.Content,
		ClientMsgID: in.ClientMsgID, TS: time.Now().UnixMilli()}
	payload, frame := roomPayloadFrame(&msg)
	routed := g.publishRemote(msg.Room, payload)
	g.writeFanOutCount(w, r, routed, func(done func(int)) { g.rooms.publish(msg.Room, frame, nil, done) })
}

// apiBroadcast is POST /api/broadcast {"content"} → {"delivered":n}: a
// 3102 to every authenticated session on this node.
func (g *Gateway) apiBroadcast(w http.ResponseWriter, r *http.Request) {
	if !g.admin(w, r) {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	content, err := protocol.DecodeContent(body)
	if err != nil {
		writeError(w, err)
		return
	}
	payload, frame := broadcastPayloadFrame(g.ids.next("m"), content, time.Now().UnixMilli())
	routed := g.broadcastRemote(payload)
	g.writeFanOutCount(w, r, routed, func(done func(int)) { g.rooms.broadcast(frame, done) })
}

// writeFanOutCount runs start and answers {"delivered":n[,"routed":true]}
// once its count is in.
func (g *Gateway) writeFanOutCount(w http.ResponseWriter, r *http.Request, routed bool, start func(func(int))) {
	ch := make(chan int, 1)
	start(func(n int) { ch <- n })
	t := time.NewTimer(pushWait)
	defer t.Stop()
	select {
	case n := <-ch:
		writeOK(w, appendPushResult(nil, n, routed))
	case <-r.Context().Done():
	case <-t.C:
		writeError(w, errInternal)
	}
}

// appendRouted adds "routed":true to a JSON object when routed.
func appendRouted(dst []byte, routed bool) []byte {
	if routed {
		dst = append(dst[:len(dst)-1], `,"routed":true}`...)
	}
	return dst
}
