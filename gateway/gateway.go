package gateway

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/hub"
)

// Config configures a Gateway. Zero fields get the defaults named on each.
type Config struct {
	Auth *auth.Manager // required
	Hub  *hub.Hub      // required
	// LoginTimeout is how long an unauthenticated connection may stay
	// before close 4001 (default 10s).
	LoginTimeout time.Duration
	Logger       *slog.Logger // default slog.Default()
	// Cluster is the bus to the other gateway nodes (see cluster.go); nil
	// for a single node with in-process routing only.
	Cluster Cluster
	// AdminKey is the bearer key of the admin HTTP API (POST /api/push);
	// empty disables that API.
	AdminKey string
}

// Gateway runs the commands of PROTOCOL.md on engine connections. It
// implements engine.Handler.
type Gateway struct {
	auth         *auth.Manager
	hub          *hub.Hub
	loginTimeout time.Duration
	log          *slog.Logger
	ids          *idSource
	cluster      Cluster  // nil: single node
	adminKey     [32]byte // SHA-256 of Config.AdminKey
	adminOn      bool     // Config.AdminKey was set
	remote       remoteStats
}

var (
	_ engine.Handler       = (*Gateway)(nil)
	_ engine.TooBigHandler = (*Gateway)(nil)
)

// Close codes and reasons of the gateway (PROTOCOL.md §4).
const (
	closeAuthTimeout = 4001
	reasonAuthTime   = "authentication timeout"
)

// New checks cfg and returns a Gateway.
func New(cfg Config) (*Gateway, error) {
	if cfg.Auth == nil || cfg.Hub == nil {
		return nil, fmt.Errorf("%w: Auth and Hub are required", ErrConfig)
	}
	if cfg.LoginTimeout <= 0 {
		cfg.LoginTimeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	g := &Gateway{auth: cfg.Auth, hub: cfg.Hub, loginTimeout: cfg.LoginTimeout,
		log: cfg.Logger, ids: newIDSource(), cluster: cfg.Cluster}
	g.setAdminKey(cfg.AdminKey)
	return g, nil
}

// OnOpen authenticates with the upgrade's token, if any, and sends the
// first frame of PROTOCOL.md §2.
func (g *Gateway) OnOpen(c *engine.Conn, req *engine.Request) {
	s := &session{conn: c, id: g.ids.next("s"), deviceID: req.DeviceID, platform: req.Platform}
	c.SetContext(s)
	if req.Token == "" {
		c.Write(firstFrameAnonymous(s.id))
		c.SetDeadline(g.loginTimeout, closeAuthTimeout, reasonAuthTime)
		return
	}
	claims, err := g.auth.Verify(req.Token)
	if err == nil && claims.DeviceID != "" && claims.DeviceID != s.deviceID {
		err = errWrongDevice
	}
	if err != nil {
		g.log.Debug("token refused", "session", s.id, "source", req.TokenSource.String(), "err", err)
		c.Write(firstFrameRefused(errors.Is(err, auth.ErrTokenExpired)))
		c.SetDeadline(g.loginTimeout, closeAuthTimeout, reasonAuthTime)
		return
	}
	g.authenticate(s, claims.UserID, claims.ExpiresAt.Unix())
	c.Write(firstFrameAuthenticated(s.id, claims.UserID, s.expiresAt))
}

var errWrongDevice = errors.New("token bound to another device")

// OnClose takes the session out of the hub.
func (g *Gateway) OnClose(c *engine.Conn, code uint16) {
	s, ok := c.Context().(*session)
	if !ok {
		return
	}
	if s.member != nil {
		g.hub.Remove(s.member)
		s.member = nil
	}
	g.log.Debug("connection closed", "session", s.id, "code", code)
}

// OnTooBig answers a message over the size limit before the 1009 close.
func (g *Gateway) OnTooBig(c *engine.Conn) {
	c.Write(errorFrame(nil, errTooLarge))
}

// authenticate makes s a session of userID: it joins the hub and its login
// deadline ends. Loop only.
func (g *Gateway) authenticate(s *session, userID string, expiresAt int64) {
	if s.member != nil && s.member.UserID == userID {
		s.expiresAt = expiresAt
		return
	}
	g.unauthenticate(s)
	s.member = &hub.Member{Conn: s.conn, UserID: userID, SessionID: s.id,
		DeviceID: s.deviceID, Platform: s.platform}
	s.expiresAt = expiresAt
	g.hub.Add(s.member)
	s.conn.ClearDeadline()
}

// unauthenticate takes s out of the hub; it must log in again in time.
func (g *Gateway) unauthenticate(s *session) {
	if s.member == nil {
		return
	}
	g.hub.Remove(s.member)
	s.member, s.expiresAt = nil, 0
	s.conn.SetDeadline(g.loginTimeout, closeAuthTimeout, reasonAuthTime)
}
