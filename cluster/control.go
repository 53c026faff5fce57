package cluster

import "github.com/nats-io/nats.go"

// Subjects of node-to-node control messages that do not depend on a
// user's interest (see the package doc).
const (
	// NodesSubject reaches every node: revocations that all nodes must
	// know, whether or not they have sessions of the user.
	NodesSubject = "gateway.nodes"
	// NodeSubjectPrefix + a node ID reaches that node only: evictions that
	// must arrive before the node's interest in the user is in NATS.
	NodeSubjectPrefix = "gateway.node."
)

// HeaderUser names the user of a control message on a node subject.
const HeaderUser = "Gateway-User"

// NodeSubject is the subject of control messages to node nodeID.
func NodeSubject(nodeID string) string { return NodeSubjectPrefix + nodeID }

// Broadcast sends a control message of the given kind about userID to
// every other node, whether or not it has sessions of userID; their
// Handlers.Control gets it. It returns at once, like Publish.
func (b *Bus) Broadcast(userID, kind string, data []byte) error {
	return b.nodeControl(NodesSubject, userID, kind, data)
}

// PublishNode sends a control message of the given kind about userID to
// node nodeID only (nothing when nodeID is this node). It returns at once,
// like Publish.
func (b *Bus) PublishNode(nodeID, userID, kind string, data []byte) error {
	if !validNodeID(nodeID) {
		return ErrConfig
	}
	return b.nodeControl(NodeSubject(nodeID), userID, kind, data)
}

func (b *Bus) nodeControl(subject, userID, kind string, data []byte) error {
	if userID == "" {
		return ErrBadUserID
	}
	hdr := nats.Header{HeaderControl: {kind}, HeaderNode: {b.cfg.NodeID}, HeaderUser: {userID}}
	return b.enqueue(pubItem{subject: subject, data: data, hdr: hdr})
}

// subscribeNodes subscribes to the subjects every node listens on from the
// start: the broadcast subject and its own node subject.
func (b *Bus) subscribeNodes() error {
	for _, s := range []string{NodesSubject, NodeSubject(b.cfg.NodeID), BroadcastSubject} {
		if _, err := b.nc.ChanSubscribe(s, b.in); err != nil {
			return err
		}
	}
	return nil
}

// nodeControlUser is the user of a message on a node subject; ok is false
// for any other subject.
func (b *Bus) nodeControlUser(m *nats.Msg) (user string, ok bool) {
	if m.Subject != NodesSubject && m.Subject != NodeSubject(b.cfg.NodeID) {
		return "", false
	}
	if m.Header == nil {
		return "", true
	}
	return m.Header.Get(HeaderUser), true
}
