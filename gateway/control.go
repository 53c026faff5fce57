package gateway

import (
	"encoding/json"

	"github.com/imgate/gateway/hub"
)

// Controller is implemented by a Cluster that carries control messages
// between nodes (*cluster.Bus does). Every method returns at once; an
// error means the message was not sent.
type Controller interface {
	// NodeID is this node's ID.
	NodeID() string
	// PublishControl reaches the other nodes with sessions of userID.
	PublishControl(userID, kind string, data []byte) error
	// Broadcast reaches every other node.
	Broadcast(userID, kind string, data []byte) error
	// PublishNode reaches node nodeID.
	PublishNode(nodeID, userID, kind string, data []byte) error
}

// Control message kinds between gateway nodes.
const (
	// controlKick (on the user's subject): kick the user's sessions (of
	// one device when device_id is set) and revoke their families, as
	// POST /api/kick does on the node that got it.
	controlKick = "kick"
	// controlRevoke (to every node): family fid of the user was revoked;
	// refuse its tokens and kick its live sessions ("token revoked").
	controlRevoke = "revoke"
	// controlEvict (to one node): kick these sessions of the user, which a
	// newer login displaced under the login policy.
	controlEvict = "evict"
)

// controlMsg is the JSON body of a control message.
type controlMsg struct {
	DeviceID string   `json:"device_id,omitempty"`
	Reason   string   `json:"reason,omitempty"`
	Family   string   `json:"fid,omitempty"`
	Sessions []string `json:"sessions,omitempty"`
	Room     string   `json:"room,omitempty"`
}

// Control runs a control message that another node sent about userID.
// Pass it as cluster.Handlers.Control. Any goroutine; it does not block
// (the kicks run on the user's shard owner).
func (g *Gateway) Control(userID, kind, origin string, data []byte) {
	var m controlMsg
	if err := json.Unmarshal(data, &m); err != nil {
		g.remote.refused.Add(1)
		g.log.Warn("control message refused", "kind", kind, "from", origin, "err", err)
		return
	}
	g.remote.controls.Add(1)
	switch kind {
	case controlKick:
		g.kickUser(userID, m.DeviceID, cmpReason(m.Reason, reasonAdmin), nil)
	case controlRevoke:
		g.auth.MarkRevoked(m.Family)
		g.kickFamily(userID, m.Family, nil)
	case controlEvict:
		g.evict(userID, m.Sessions, cmpReason(m.Reason, reasonOtherDevice))
	case controlRoomJoin, controlRoomLeave:
		g.roomControl(userID, kind, origin, m.Room)
	default:
		g.remote.refused.Add(1)
		g.log.Warn("unknown control message", "kind", kind, "from", origin)
	}
}

func cmpReason(r, def string) string {
	if r == "" {
		return def
	}
	return r
}

// sendControl marshals m and hands it to send; it reports whether the bus
// took it. Nothing is sent on a single node.
func (g *Gateway) sendControl(m *controlMsg, send func(Controller, []byte) error) bool {
	if g.ctl == nil {
		return false
	}
	data, err := json.Marshal(m)
	if err != nil {
		return false
	}
	if err := send(g.ctl, data); err != nil {
		g.log.Warn("control message not sent", "err", err)
		return false
	}
	return true
}

// announceRevoked tells the other nodes that family fid of userID is
// revoked, so that they refuse its access tokens at connect and kick its
// live sessions. Any goroutine; it does not block.
func (g *Gateway) announceRevoked(userID, fid string) {
	if fid == "" || userID == "" {
		return
	}
	g.sendControl(&controlMsg{Family: fid}, func(c Controller, data []byte) error {
		return c.Broadcast(userID, controlRevoke, data)
	})
}

// kickUser kicks userID's sessions on this node (of deviceID only when it
// is not empty) with reason and revokes their families; done, when not
// nil, gets the count on the user's shard owner. Asynchronous.
func (g *Gateway) kickUser(userID, deviceID, reason string, done func(int)) {
	g.hub.Sessions(userID, func(all []*hub.Member) {
		n := 0
		for _, hm := range all {
			if deviceID != "" && hm.DeviceID != deviceID {
				continue
			}
			if g.kick(memberOf(hm), reason, true) {
				n++
			}
		}
		if done != nil {
			done(n)
		}
	})
}

// evict kicks userID's sessions on this node whose IDs are listed, and
// revokes their families. Asynchronous.
func (g *Gateway) evict(userID string, ids []string, reason string) {
	if len(ids) == 0 {
		return
	}
	g.hub.Sessions(userID, func(all []*hub.Member) {
		for _, hm := range all {
			for _, id := range ids {
				if hm.SessionID == id {
					g.kick(memberOf(hm), reason, true)
					break
				}
			}
		}
	})
}
