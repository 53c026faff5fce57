package gateway

import (
	"context"
	"fmt"

	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/hub"
	"github.com/imgate/gateway/protocol"
)

// Policy is a login policy: what a user's new session does to the user's
// other sessions on this node.
type Policy string

// The login policies.
const (
	// PolicyMulti keeps every session, up to Config.MaxSessionsPerUser:
	// beyond it the oldest are kicked ("too many sessions").
	PolicyMulti Policy = "multi"
	// PolicySingle keeps only the newest session: the others are kicked
	// ("logged in on another device").
	PolicySingle Policy = "single"
	// PolicyPerPlatform keeps one session per platform (the upgrade's
	// "platform"; none is a platform too): the older one of the same
	// platform is kicked ("logged in on another device").
	PolicyPerPlatform Policy = "per-platform"
)

// ParsePolicy returns the Policy named s.
func ParsePolicy(s string) (Policy, error) {
	switch p := Policy(s); p {
	case PolicyMulti, PolicySingle, PolicyPerPlatform:
		return p, nil
	}
	return "", fmt.Errorf("%w: unknown login policy %q (want multi, single or per-platform)", ErrConfig, s)
}

// Kick reasons (the 3003 body and the 4003 close reason) and the close code.
const (
	closeKicked       = 4003
	reasonOtherDevice = "logged in on another device"
	reasonTooMany     = "too many sessions"
	reasonRevoked     = "token revoked"
	reasonAdmin       = "kicked by admin"
)

// applyPolicy kicks, on the user's shard owner, the sessions that m's
// arrival displaces. Only sessions added before m are candidates: each
// new session judges the older ones, so two logins racing never kick each
// other both. The displaced sessions' refresh families are revoked (unless
// m shares it), so that a kicked device cannot refresh its way back.
func (g *Gateway) applyPolicy(m *member) {
	if g.policy == PolicyMulti && g.maxSessions == 0 {
		return
	}
	if g.clusterPolicy() {
		g.joinRegistry(m)
		return
	}
	g.applyPolicyLocal(m)
}

// applyPolicyLocal is applyPolicy over this node's sessions only.
func (g *Gateway) applyPolicyLocal(m *member) {
	g.hub.Sessions(m.UserID, func(all []*hub.Member) {
		var older []*member
		found := false
		for _, hm := range all {
			if hm == &m.Member {
				found = true
				break
			}
			if om := memberOf(hm); !om.kicked.Load() {
				older = append(older, om)
			}
		}
		if !found { // m left already
			return
		}
		for _, om := range g.displaced(m, older) {
			reason := reasonOtherDevice
			if g.policy == PolicyMulti {
				reason = reasonTooMany
			}
			g.kick(om, reason, om.family != m.family)
		}
	})
}

// displaced returns the members of older (oldest first, not kicked) that
// the policy removes for m. Shard owner only.
func (g *Gateway) displaced(m *member, older []*member) []*member {
	switch g.policy {
	case PolicySingle:
		return older
	case PolicyPerPlatform:
		var out []*member
		for _, om := range older {
			if om.Platform == m.Platform {
				out = append(out, om)
			}
		}
		return out
	}
	if n := len(older) + 1 - g.maxSessions; g.maxSessions > 0 && n > 0 {
		return older[:n]
	}
	return nil
}

// kick sends om a 3003 KICKED push and closes it with 4003, once; with
// revoke, its refresh family is revoked too. It reports whether this call
// kicked it. Any goroutine (shard owners in practice).
func (g *Gateway) kick(om *member, reason string, revoke bool) bool {
	if !om.kicked.CompareAndSwap(false, true) {
		return false
	}
	om.conn().Send(kickedFrame(reason))
	g.countPush(om.conn(), protocol.CmdKicked)
	om.conn().Close(closeKicked, reason)
	if revoke && om.family != "" {
		if err := g.auth.RevokeAsync(om.family, g.logRevokeError(om.family)); err != nil {
			g.log.Warn("revocation not persisted", "family", om.family, "err", err)
		}
		g.announceRevoked(om.UserID, om.family)
	}
	g.log.Info("session kicked", "session", om.SessionID, "user", om.UserID, "reason", reason)
	return true
}

// kickFamily kicks userID's sessions of refresh family fid ("token
// revoked"), except the member except (may be nil). Asynchronous.
func (g *Gateway) kickFamily(userID, fid string, except *member) {
	if fid == "" {
		return
	}
	g.hub.Sessions(userID, func(all []*hub.Member) {
		for _, hm := range all {
			if om := memberOf(hm); om != except && om.family == fid {
				g.kick(om, reasonRevoked, false)
			}
		}
	})
}

// Kick kicks userID's sessions (only those of deviceID when it is not
// empty) with reason (default "kicked by admin") and revokes their refresh
// families and every family of the user (of that device) in the store. In
// cluster mode the other nodes are told to do the same with their sessions
// (routed reports whether the bus took the message) and the revoked
// families are announced to every node. n counts the sessions kicked on
// this node. It blocks on the store and on the user's shard owner: call it
// from an HTTP handler, not a loop.
func (g *Gateway) Kick(ctx context.Context, userID, deviceID, reason string) (n int, routed bool, err error) {
	if reason == "" {
		reason = reasonAdmin
	}
	routed = g.sendControl(&controlMsg{DeviceID: deviceID, Reason: reason}, func(c Controller, data []byte) error {
		return c.PublishControl(userID, controlKick, data)
	})
	done := make(chan int, 1)
	g.kickUser(userID, deviceID, reason, func(n int) { done <- n })
	select {
	case n = <-done:
	case <-ctx.Done():
		return 0, routed, ctx.Err()
	}
	ids, err := g.auth.RevokeUser(userID, deviceID)
	for _, id := range ids {
		g.announceRevoked(userID, id)
	}
	return n, routed, err
}

func (g *Gateway) logRevokeError(fid string) func(error) {
	return func(err error) {
		if err != nil {
			g.log.Warn("revocation not persisted", "family", fid, "err", err)
		}
	}
}

func kickedFrame(reason string) []byte {
	b := protocol.AppendKickedPush(engine.NewFrameBuffer(64+len(reason)), reason)
	return engine.FinishFrame(b, engine.OpText)
}
