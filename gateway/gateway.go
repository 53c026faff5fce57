package gateway

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/hub"
	"github.com/imgate/gateway/inbox"
)

// Config configures a Gateway. Zero fields get the defaults named on each.
type Config struct {
	Auth *auth.Manager // required
	Hub  *hub.Hub      // required
	// LoginTimeout is how long an unauthenticated connection may stay
	// before close 4001 (default 10s).
	LoginTimeout time.Duration
	Logger       *slog.Logger // default slog.Default()

	// LoginPolicy says what a user's new session does to the user's other
	// sessions (default PolicyMulti).
	LoginPolicy Policy
	// MaxSessionsPerUser caps a user's sessions under PolicyMulti: beyond
	// it the oldest are kicked (default 0: no cap).
	MaxSessionsPerUser int
	// AdminKey authorises the admin HTTP API (POST /api/kick, POST
	// /api/push) as "Authorization: Bearer KEY"; empty disables that API.
	AdminKey string
	// MessageRate limits each connection's messages (default: no limit).
	MessageRate MessageRate
	// Cluster is the bus to the other gateway nodes (see cluster.go); nil
	// for a single node with in-process routing only.
	Cluster Cluster
	// Registry, in cluster mode, makes the login policy and
	// MaxSessionsPerUser hold across nodes (see registry.go); nil: each
	// node applies them to its own sessions.
	Registry SessionRegistry
	// RejectBadToken answers an upgrade whose token is invalid, expired,
	// revoked or bound to another device with HTTP 401 (see
	// engine.TokenChecker) instead of upgrading and sending the in-band
	// 401 first frame (PROTOCOL.md §1, -reject-bad-token).
	RejectBadToken bool
	// Inbox is the inbox store (PROTOCOL.md §8); nil: the inbox is off
	// (no offsets, no SYNC or ACK). The caller closes it after
	// Gateway.CloseInbox.
	Inbox inbox.Store
	// InboxWorkers is the number of inbox store workers (default 64).
	InboxWorkers int
	// Rooms configures rooms (rooms.go).
	Rooms RoomsConfig
}

// Gateway runs the commands of PROTOCOL.md on engine connections. It
// implements engine.Handler.
type Gateway struct {
	auth         *auth.Manager
	hub          *hub.Hub
	loginTimeout time.Duration
	log          *slog.Logger
	ids          *idSource
	policy       Policy
	maxSessions  int
	ops          ops
	cluster      Cluster    // nil: single node
	ctl          Controller // cluster's control messages; nil: single node
	registry     SessionRegistry
	adminKey     [32]byte // SHA-256 of Config.AdminKey
	adminOn      bool     // Config.AdminKey was set
	remote       remoteStats
	rejectBad    bool      // Config.RejectBadToken
	ib           *inboxSvc // nil: the inbox is off
	inboxStats   inboxCounters
	rooms        rooms
}

var (
	_ engine.Handler       = (*Gateway)(nil)
	_ engine.TooBigHandler = (*Gateway)(nil)
	_ engine.TimerHandler  = (*Gateway)(nil)
	_ engine.TokenChecker  = (*Gateway)(nil)
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
	if cfg.LoginPolicy == "" {
		cfg.LoginPolicy = PolicyMulti
	}
	if _, err := ParsePolicy(string(cfg.LoginPolicy)); err != nil || cfg.MaxSessionsPerUser < 0 {
		return nil, fmt.Errorf("%w: login policy %q, max sessions %d", ErrConfig, cfg.LoginPolicy, cfg.MaxSessionsPerUser)
	}
	g := &Gateway{auth: cfg.Auth, hub: cfg.Hub, loginTimeout: cfg.LoginTimeout,
		log: cfg.Logger, ids: newIDSource(), policy: cfg.LoginPolicy, maxSessions: cfg.MaxSessionsPerUser,
		cluster: cfg.Cluster, registry: cfg.Registry, rejectBad: cfg.RejectBadToken}
	g.ctl, _ = cfg.Cluster.(Controller)
	if cfg.Inbox != nil {
		g.ib = newInboxSvc(cfg.Inbox, cfg.InboxWorkers)
	}
	g.setAdminKey(cfg.AdminKey)
	g.ops.init(&cfg)
	g.rooms.init(cfg.Rooms)
	if rb := g.roomBus(); rb != nil {
		g.rooms.onInterest = rb.RoomInterest
	}
	return g, nil
}

// OnOpen authenticates with the upgrade's token, if any, and sends the
// first frame of PROTOCOL.md §2.
func (g *Gateway) OnOpen(c *engine.Conn, req *engine.Request) {
	s := newSession(c, g.ids.next("s"), req)
	c.SetContext(s)
	g.rooms.loopOf(c) // broadcasts reach every loop with connections
	g.logOpen(s, req)
	if req.Token == "" {
		c.Write(firstFrameAnonymous(s.id()))
		c.SetDeadline(g.loginTimeout, closeAuthTimeout, reasonAuthTime)
		return
	}
	claims, err := g.auth.Verify(req.Token)
	if err == nil && claims.DeviceID != "" && claims.DeviceID != s.deviceID() {
		err = errWrongDevice
	}
	if err != nil {
		g.authFailed(c.Loop(), authReason(err, false))
		g.log.Debug("token refused", "session", s.id(), "source", req.TokenSource.String(), "err", err)
		c.Write(firstFrameRefused(errors.Is(err, auth.ErrTokenExpired)))
		c.SetDeadline(g.loginTimeout, closeAuthTimeout, reasonAuthTime)
		return
	}
	m := g.authenticate(s, grant{userID: claims.UserID, family: claims.Family, expiresAt: claims.ExpiresAt,
		rooms: claims.Rooms})
	if g.ib != nil {
		g.openInbox(s, m, req)
		return
	}
	c.Write(firstFrameAuthenticated(s.id(), claims.UserID, s.expiry()))
}

var errWrongDevice = errors.New("token bound to another device")

// OnClose takes the session out of the hub.
func (g *Gateway) OnClose(c *engine.Conn, code uint16) {
	s, ok := c.Context().(*session)
	if !ok {
		return
	}
	g.logClose(s, code)
	g.leaveAllRooms(s)
	if s.member != nil {
		g.leave(s.member)
		s.member = nil
	}
}

// OnTooBig answers a message over the size limit before the 1009 close.
func (g *Gateway) OnTooBig(c *engine.Conn) {
	c.Write(errorFrame(nil, errTooLarge))
}

// grant is what a session is authenticated with.
type grant struct {
	userID    string
	family    string    // refresh-token family; "" for tokens without "fid"
	expiresAt time.Time // the access token's exp
	rooms     []string  // the token's rooms claim
}

// authenticate makes s a session of gr.userID: it joins the hub (a new
// member when the user or the family changes, which applies the login
// policy), its login deadline ends and its expiry timer is set. It
// returns the new member, or nil when the session stays the member it
// was. Loop only.
func (g *Gateway) authenticate(s *session, gr grant) *member {
	s.setExpiry(gr.expiresAt.Unix())
	s.conn().SetTimer(gr.expiresAt.Add(g.auth.Leeway()))
	if s.member != nil && s.member.UserID != gr.userID {
		g.leaveAllRooms(s) // rooms belong to the session of one user
	}
	g.joinClaim(s, gr.rooms)
	if m := s.member; m != nil && m.UserID == gr.userID && m.family == gr.family {
		return nil
	}
	if s.member != nil {
		g.leave(s.member)
	}
	m := s.nextMember()
	m.UserID, m.family = gr.userID, gr.family
	if m != &s.mem {
		m.DeviceID = s.deviceID()
	}
	if g.ib != nil {
		m.ib = &ibState{mode: ibStarting}
	}
	s.member = m
	g.hub.Add(&m.Member)
	g.applyPolicy(m)
	s.conn().ClearDeadline()
	return m
}

// unauthenticate takes s out of the hub; it must log in again in time.
func (g *Gateway) unauthenticate(s *session) {
	if s.member == nil {
		return
	}
	g.leave(s.member)
	g.leaveAllRooms(s)
	s.member, s.expiresAt = nil, 0
	s.conn().SetTimer(time.Time{})
	s.conn().SetDeadline(g.loginTimeout, closeAuthTimeout, reasonAuthTime)
}

// leave takes m out of the hub (and the registry).
func (g *Gateway) leave(m *member) {
	g.hub.Remove(&m.Member)
	g.leaveRegistry(m)
}
