package gateway

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/engine"
)

// ops is the gateway's operational state: counters, the per-connection
// message rate. It is one field of Gateway so that the command logic stays
// apart from it.
type ops struct {
	stats   counters
	rate    msgRate
	started time.Time
}

func (o *ops) init(cfg *Config) {
	o.rate = newMsgRate(cfg.MessageRate)
	o.started = time.Now()
}

// countRequest counts a client message and the response it gets, by
// cmd_id (0: not a valid envelope). Loop only.
func (g *Gateway) countRequest(c *engine.Conn, cmdID int) {
	i := counter(cmdIndex(cmdID))
	g.ops.stats.add(c.Loop(), cIn+i, 1)
	g.ops.stats.add(c.Loop(), cOut+i, 1)
}

// countPush counts a push the gateway wrote to one connection itself.
func (g *Gateway) countPush(c *engine.Conn, cmdID int) {
	g.ops.stats.add(c.Loop(), cOut+counter(cmdIndex(cmdID)), 1)
}

// authFailed counts an authentication failure; loop is the connection's
// loop, or 0 for the HTTP API.
func (g *Gateway) authFailed(loop int, reason int) {
	g.ops.stats.add(loop, cAuthFail+counter(reason), 1)
}

// authReason maps an error of the token checks to a failure reason.
func authReason(err error, refresh bool) int {
	expired := errors.Is(err, auth.ErrTokenExpired)
	switch {
	case refresh && expired:
		return authExpiredRefresh
	case refresh:
		return authInvalidRefresh
	case err == errWrongDevice:
		return authWrongDevice
	case expired:
		return authExpiredToken
	}
	return authInvalidToken
}

// logOpen writes the lifecycle line of an upgraded connection. Loop only.
func (g *Gateway) logOpen(s *session, req *engine.Request) {
	if g.debug() {
		g.log.Debug("connection opened", "session", s.id(), "remote", s.conn().RemoteAddr().String(),
			"device", req.DeviceID, "platform", req.Platform, "token_source", req.TokenSource.String())
	}
}

// debug reports whether debug lines are logged; lifecycle lines are built
// only then.
func (g *Gateway) debug() bool { return g.log.Enabled(context.Background(), slog.LevelDebug) }

// Close codes after which the gateway logs a warning: the client or the
// network misbehaved.
func anomalous(code uint16) bool {
	switch code {
	case engine.CloseProtocolError, engine.CloseInvalidData, engine.CloseTooBig,
		engine.CloseSlowConsumer, closeRateLimited:
		return true
	}
	return false
}

// logClose writes the lifecycle line of a closed connection: debug, or a
// warning for an anomaly. Loop only.
func (g *Gateway) logClose(s *session, code uint16) {
	switch {
	case anomalous(code):
		g.log.Warn("connection closed", "session", s.id(), "user", s.userID(), "code", code, "reason", closeReason(code))
	case g.debug():
		g.log.Debug("connection closed", "session", s.id(), "user", s.userID(), "code", code)
	}
}

func closeReason(code uint16) string {
	switch code {
	case engine.CloseProtocolError:
		return "protocol error"
	case engine.CloseInvalidData:
		return "invalid UTF-8"
	case engine.CloseTooBig:
		return "message too big"
	case engine.CloseSlowConsumer:
		return "slow consumer"
	case closeRateLimited:
		return "message rate exceeded"
	}
	return ""
}
