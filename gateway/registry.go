package gateway

import (
	"github.com/imgate/gateway/cluster"
)

// SessionRegistry records every node's sessions of each user, in the
// order their logins were recorded, so that the login policy holds across
// nodes; *cluster.Registry implements it. Both methods return at once
// (the work runs on the registry's goroutines); an error means it was not
// queued.
type SessionRegistry interface {
	// JoinAsync records s as userID's newest session, keeps what judge
	// returns and calls done with the sessions it dropped.
	JoinAsync(userID string, s cluster.Session, judge func([]cluster.Session) []cluster.Session,
		done func([]cluster.Session, error)) error
	// LeaveAsync removes a session.
	LeaveAsync(userID, sessionID string) error
}

// clusterPolicy reports whether the login policy is applied through the
// registry: cluster mode with a registry and a policy that limits
// sessions.
func (g *Gateway) clusterPolicy() bool {
	return g.registry != nil && g.ctl != nil && (g.policy != PolicyMulti || g.maxSessions > 0)
}

// joinRegistry records m in the registry; the sessions the policy drops
// are kicked on their nodes (here directly, elsewhere by an evict control
// message to that node). If the registry cannot take it, the policy is
// applied on this node only. Any goroutine.
func (g *Gateway) joinRegistry(m *member) {
	s := cluster.Session{ID: m.SessionID, Node: g.ctl.NodeID(), Platform: m.Platform}
	err := g.registry.JoinAsync(m.UserID, s, g.judge, func(dropped []cluster.Session, err error) {
		if err != nil {
			g.registryFailed("session registry unavailable: login policy applied on this node only", err)
			g.applyPolicyLocal(m)
			return
		}
		g.evictDropped(m.UserID, dropped)
	})
	if err != nil {
		g.registryFailed("session registry busy: login policy applied on this node only", err)
		g.applyPolicyLocal(m)
	}
}

// registryFailed counts a registry failure and logs the 1st, 2nd, 4th,
// 8th… one.
func (g *Gateway) registryFailed(msg string, err error) {
	if n := g.remote.registryFailed.Add(1); n&(n-1) == 0 {
		g.log.Warn(msg, "failures", n, "err", err)
	}
}

// leaveRegistry removes m from the registry. Any goroutine.
func (g *Gateway) leaveRegistry(m *member) {
	if g.clusterPolicy() {
		_ = g.registry.LeaveAsync(m.UserID, m.SessionID)
	}
}

// judge is the login policy over a user's whole list (oldest first, the
// new session last): the sessions to keep.
func (g *Gateway) judge(list []cluster.Session) []cluster.Session {
	switch g.policy {
	case PolicySingle:
		return list[len(list)-1:]
	case PolicyPerPlatform:
		var keep []cluster.Session
		for i, e := range list {
			newer := false
			for _, later := range list[i+1:] {
				if later.Platform == e.Platform {
					newer = true
					break
				}
			}
			if !newer {
				keep = append(keep, e)
			}
		}
		return keep
	}
	if g.maxSessions > 0 && len(list) > g.maxSessions {
		return list[len(list)-g.maxSessions:]
	}
	return list
}

// evictDropped kicks the dropped sessions: this node's here, the others'
// through one evict message per node.
func (g *Gateway) evictDropped(userID string, dropped []cluster.Session) {
	if len(dropped) == 0 {
		return
	}
	reason := reasonOtherDevice
	if g.policy == PolicyMulti {
		reason = reasonTooMany
	}
	byNode := make(map[string][]string)
	for _, s := range dropped {
		byNode[s.Node] = append(byNode[s.Node], s.ID)
	}
	for node, ids := range byNode {
		if node == g.ctl.NodeID() {
			g.evict(userID, ids, reason)
			continue
		}
		g.sendControl(&controlMsg{Sessions: ids, Reason: reason}, func(c Controller, data []byte) error {
			return c.PublishNode(node, userID, controlEvict, data)
		})
	}
}
