package gateway

import (
	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/protocol"
)

// Rooms across nodes (PROTOCOL.md §7, "Cluster"): a node subscribes to
// gateway.room.<room> while it has a member session of the room, and a
// room message is published there once, never once per member. Broadcasts
// go on gateway.broadcast, which every node subscribes to. Admin joins
// and leaves travel as control messages on the user's subject.

// RoomBus is implemented by a Cluster that carries rooms (*cluster.Bus
// does). Every method returns at once, without waiting for the network.
type RoomBus interface {
	// PublishRoom hands payload (one complete 3101 JSON object) to the
	// other nodes with members of room.
	PublishRoom(room string, payload []byte) error
	// PublishBroadcast hands payload (one complete 3102 JSON object) to
	// every other node.
	PublishBroadcast(payload []byte) error
	// RoomInterest records that this node has members of room (on) or no
	// longer has (off). It is called under a directory lock: it must only
	// record the wish.
	RoomInterest(room string, on bool)
}

// Control kinds of rooms, sent on the user's subject.
const (
	controlRoomJoin  = "room-join"  // POST /api/rooms/join on another node
	controlRoomLeave = "room-leave" // POST /api/rooms/leave on another node
)

// roomBus returns the cluster's RoomBus, or nil.
func (g *Gateway) roomBus() RoomBus {
	rb, _ := g.cluster.(RoomBus)
	return rb
}

// publishRemote hands a room message's payload to the other nodes; it
// reports whether the bus took it (false on a single node).
func (g *Gateway) publishRemote(room string, payload []byte) bool {
	rb := g.roomBus()
	return rb != nil && rb.PublishRoom(room, payload) == nil
}

// broadcastRemote hands a broadcast's payload to the other nodes.
func (g *Gateway) broadcastRemote(payload []byte) bool {
	rb := g.roomBus()
	return rb != nil && rb.PublishBroadcast(payload) == nil
}

// roomControl runs an admin join or leave that another node sent.
func (g *Gateway) roomControl(userID, kind, origin, room string) {
	if !protocol.ValidRoom(room) {
		g.remote.refused.Add(1)
		g.log.Warn("room control refused", "kind", kind, "from", origin)
		return
	}
	g.roomMember(userID, room, kind == controlRoomJoin, func(int) {})
}

// PushRoom delivers a 3101 payload that arrived on gateway.room.<room>
// from another node or a backend to this node's members. Pass it to the
// cluster's inbound handlers. Any goroutine; messages from one caller
// keep their order.
func (g *Gateway) PushRoom(room string, payload []byte) {
	if !protocol.ValidRoom(room) || !pushable(payload) {
		g.remote.refused.Add(1)
		return
	}
	g.rooms.publish(room, frameOf(payload), nil, nil)
}

// PushBroadcast delivers a 3102 payload from gateway.broadcast to every
// authenticated session of this node. Any goroutine.
func (g *Gateway) PushBroadcast(payload []byte) {
	if !pushable(payload) {
		g.remote.refused.Add(1)
		return
	}
	g.rooms.broadcast(frameOf(payload), nil)
}

// frameOf wraps a payload from the bus in a text frame.
func frameOf(payload []byte) []byte {
	return engine.AppendFrame(make([]byte, 0, len(payload)+engine.HeaderRoom), engine.OpText, payload)
}
