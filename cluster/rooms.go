package cluster

import (
	"strings"

	"github.com/nats-io/nats.go"
)

// Rooms on the bus (PROTOCOL.md §7): a node subscribes to
// gateway.room.<room> while it has a member session of the room (the same
// interest machinery as users, keyed by subject), and every node listens
// on gateway.broadcast from the start.
const (
	// RoomSubjectPrefix + the escaped room name carries 3101 payloads.
	RoomSubjectPrefix = "gateway.room."
	// BroadcastSubject carries 3102 payloads to every node.
	BroadcastSubject = "gateway.broadcast"
)

// RoomSubject is the subject of room's messages: the prefix and the name
// escaped as EscapeUserID escapes user IDs. room must not be empty.
func RoomSubject(room string) string { return RoomSubjectPrefix + EscapeUserID(room) }

// RoomFromSubject returns the room of a room subject; ok is false for any
// other subject.
func RoomFromSubject(subject string) (room string, ok bool) {
	if len(subject) <= len(RoomSubjectPrefix) || subject[:len(RoomSubjectPrefix)] != RoomSubjectPrefix {
		return "", false
	}
	return unescapeUserID(subject[len(RoomSubjectPrefix):])
}

// PublishRoom hands payload, one complete 3101 JSON object, to the other
// nodes with members of room: one NATS publish, never one per member. It
// returns at once, like Publish; payload must not be modified afterwards.
func (b *Bus) PublishRoom(room string, payload []byte) error {
	if room == "" {
		return ErrBadUserID
	}
	return b.enqueue(pubItem{subject: RoomSubject(room), data: payload})
}

// PublishBroadcast hands payload, one complete 3102 JSON object, to every
// other node. It returns at once, like Publish.
func (b *Bus) PublishBroadcast(payload []byte) error {
	return b.enqueue(pubItem{subject: BroadcastSubject, data: payload})
}

// RoomInterest records that this node has (on) or no longer has members
// of room; the bus subscribes to or unsubscribes from the room's subject
// soon after. It takes a short lock and never waits for NATS.
func (b *Bus) RoomInterest(room string, on bool) {
	if room == "" {
		return
	}
	b.wantSubject(RoomSubject(room), on)
}

// dispatchRoom hands a message of a room subject or of the broadcast
// subject to its handler; ok is false for any other subject.
func (b *Bus) dispatchRoom(m *nats.Msg) (ok bool) {
	if m.Subject == BroadcastSubject {
		if b.h.Broadcast == nil || len(m.Data) == 0 {
			b.stats.Dropped.Add(1)
		} else {
			b.h.Broadcast(m.Data)
		}
		return true
	}
	room, ok := RoomFromSubject(m.Subject)
	if !ok {
		if strings.HasPrefix(m.Subject, RoomSubjectPrefix) { // a bad escape
			b.stats.Dropped.Add(1)
			return true
		}
		return false
	}
	if b.h.Room == nil || len(m.Data) == 0 || controlKind(m) != "" {
		b.stats.Dropped.Add(1)
		return true
	}
	b.h.Room(room, m.Data)
	return true
}
