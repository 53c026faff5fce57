package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// AuthMode says how a connection presents its token.
type AuthMode string

// Auth modes.
const (
	AuthQuery       AuthMode = "query"       // ?token=JWT
	AuthHeader      AuthMode = "header"      // Authorization: Bearer JWT
	AuthSubprotocol AuthMode = "subprotocol" // Sec-WebSocket-Protocol: bearer.JWT, gateway.v1
	AuthLogin       AuthMode = "login"       // no token; LOGIN (cmd 1001) after the first frame
	AuthNone        AuthMode = "none"        // no token, no login
)

// Defaults for zero Config fields.
const (
	DefaultConns       = 1
	DefaultConcurrency = 512
	DefaultDuration    = 10 * time.Second
	DefaultTimeout     = 10 * time.Second
	DefaultTokenTTL    = time.Hour
	DefaultUserPrefix  = "u"
	DefaultPayload     = 64
	DefaultMaxMessage  = 1 << 20
	defaultReadBuffer  = 512
)

// Config describes one run. Zero fields get the defaults above; see
// cmd/bench for the flags that fill it. A Config is not modified by the
// scenario functions.
type Config struct {
	// Targets are ws:// or wss:// URLs; connection i goes to Targets[i%len].
	// ParseTargets turns host:port lists into this form.
	Targets []string
	// Conns is the number of connections (users in Chat).
	Conns int
	// Rate is new connections per second. Zero means Conns/Ramp when Ramp is
	// set, else as fast as Concurrency allows.
	Rate float64
	// Ramp spreads the connects over this time when Rate is zero.
	Ramp time.Duration
	// Concurrency caps handshakes in flight.
	Concurrency int
	// Duration is the hold (Idle) or measurement (Echo, Chat) phase. Connect
	// does not use it: it ends when every attempt has ended.
	Duration time.Duration
	// Timeout bounds one connect: TCP, upgrade, first frame and login. In
	// Chat it also bounds the wait for messages still in flight at the end.
	Timeout time.Duration
	// Src are local addresses, used round-robin (nil: the kernel picks).
	Src []netip.Addr
	// Insecure skips TLS certificate checks for wss:// targets.
	Insecure bool

	// Auth selects how the token is presented.
	Auth AuthMode
	// Secret is the HS256 key tokens are minted with. Never logged.
	Secret []byte
	// TokenTTL is the minted tokens' lifetime.
	TokenTTL time.Duration
	// UserPrefix and FirstUser name the users: connection i is user
	// UserPrefix + (FirstUser+i), the token's sub.
	UserPrefix string
	FirstUser  int
	// LoginUser is the LOGIN username; "%d" in it is replaced by the user
	// number, and empty means the user id. LoginPass is its password.
	LoginUser, LoginPass string
	// DeviceID and Platform are sent as query parameters when set.
	DeviceID, Platform string
	// Hello makes Echo wait for the server's first frame with code 200
	// before sending; Connect, Idle and Chat always wait for it.
	Hello bool

	// Payload is the frame size (Echo) or content size (Chat) in bytes.
	Payload int
	// Binary makes Echo send binary frames instead of text.
	Binary bool
	// Compression offers permessage-deflate (RFC 7692, no context takeover
	// both ways); a connection the server does not accept it on fails with
	// ErrNoCompression. Every client message is then sent compressed (as
	// browsers do) and RSV1 frames from the server are inflated.
	Compression bool
	// Text is Chat's content filler after the stamp: TextX ('x' repeated,
	// the default), TextEnglish or TextChinese (running prose, so that
	// compression sees realistic text).
	Text string
	// Inflight is messages outstanding per connection (Echo; Chat when
	// MsgRate is zero, and as a cap when it is not). Zero means 1, except in
	// Chat with MsgRate set, where zero means no cap (open loop).
	Inflight int
	// MsgRate is messages per second per user in Chat; zero means as fast
	// as Inflight allows.
	MsgRate float64
	// Churn, in Chat, is how often each user disconnects and reconnects
	// (per second, on average: 0.1 is 10% of the users every second),
	// resuming from the last inbox offset it saw. Needs the gateway's
	// inbox and one process (-procs 1).
	Churn float64
	// MaxMessage is the largest message accepted from the server.
	MaxMessage int
	// ReadBuffer is the per-connection read buffer (0: sized by scenario).
	ReadBuffer int

	// ServerPIDs are sampled for VmRSS before and after connecting (Idle).
	ServerPIDs []int
	// StatsURL is fetched (GET, JSON) before and after connecting (Idle).
	StatsURL string
	// Progress receives one status line a second; nil disables it.
	Progress io.Writer
	// Tick, when set, receives the run's counters once a second instead of
	// the lines on Progress (a child process passes them to its parent).
	Tick func(Counters)

	// Rooms is the number of rooms in Room: connection i of the run is in
	// RoomName(i, Rooms) through its token's "rooms" claim (default 1).
	// Zero outside Room: tokens carry no claim.
	Rooms int
	// RoomsPerConn is how many rooms each connection claims when Rooms is
	// set: RoomName(i+j, Rooms) for j < RoomsPerConn (default 1; Room
	// itself needs 1). It lets idle measure the cost of memberships.
	RoomsPerConn int
	// Publishers is the number of connections that publish in Room: the
	// run's first ones (default 1).
	Publishers int

	// To picks Chat's recipients: ToRandom (another user) or ToSelf (the
	// sender's own user id).
	To string
	// FirstConn is the index of this process's first connection among all
	// connections of a run spread over several processes: targets and
	// source addresses go round-robin by that global index. Shard sets it.
	FirstConn int
	// PeerUsers, when set, is the number of users of the whole run: Chat
	// then draws recipients by name from users FirstUser-FirstConn …
	// FirstUser-FirstConn+PeerUsers-1, wherever they are connected, instead
	// of from this process's connections. Shard sets it.
	PeerUsers int
	// Sync, when set, is called at each stage of a run (StageConnected,
	// StageHeld, StageDrained) with the counters at that moment, and
	// returns when the run may go on; a child process waits there for its
	// parent. An error ends the run early.
	Sync func(ctx context.Context, stage string, now Counters) error
}

// Chat recipients (Config.To).
const (
	ToRandom = "random"
	ToSelf   = "self"
)

// Stages of a run passed to Config.Sync.
const (
	StageConnected = "connected" // the connect phase is over
	StageHeld      = "held"      // the hold or measurement phase is over
	StageDrained   = "drained"   // chat: answers and pushes in flight are in
)

// withDefaults returns a copy of c with zero fields set and checks ranges.
func (c Config) withDefaults() (Config, error) {
	if len(c.Targets) == 0 {
		return c, ErrNoTarget
	}
	c.Conns = pick(c.Conns, DefaultConns)
	c.Concurrency = pick(c.Concurrency, DefaultConcurrency)
	c.Duration = pick(c.Duration, DefaultDuration)
	c.Timeout = pick(c.Timeout, DefaultTimeout)
	c.TokenTTL = pick(c.TokenTTL, DefaultTokenTTL)
	c.UserPrefix = pick(c.UserPrefix, DefaultUserPrefix)
	c.Auth = pick(c.Auth, AuthQuery)
	c.Payload = pick(c.Payload, DefaultPayload)
	c.Inflight = pick(c.Inflight, 1)
	c.MaxMessage = pick(c.MaxMessage, max(DefaultMaxMessage, 2*c.Payload+1024))
	c.ReadBuffer = pick(c.ReadBuffer, defaultReadBuffer)
	c.To = pick(c.To, ToRandom)
	if c.Rate == 0 && c.Ramp > 0 {
		c.Rate = float64(c.Conns) / c.Ramp.Seconds()
	}
	switch {
	case c.Conns < 0, c.Concurrency < 0, c.Duration < 0, c.Timeout < 0, c.Payload < 0,
		c.Inflight < 0, c.Rate < 0, c.MsgRate < 0, c.FirstUser < 0, c.ReadBuffer < 16,
		c.FirstConn < 0, c.FirstConn > c.FirstUser, c.PeerUsers < 0, c.Churn < 0, c.Rooms < 0, c.Publishers < 0, c.RoomsPerConn < 0:
		return c, fmt.Errorf("%w: negative or too small value", ErrBadConfig)
	}
	if c.Churn > 0 && c.PeerUsers > 0 {
		return c, fmt.Errorf("%w: -churn needs one process (-procs 1)", ErrBadConfig)
	}
	switch c.Text {
	case "", TextX, TextEnglish, TextChinese:
	default:
		return c, fmt.Errorf("%w: -text %q (want x, en or zh)", ErrBadConfig, c.Text)
	}
	if c.To != ToRandom && c.To != ToSelf {
		return c, fmt.Errorf("%w: -to %q (want random or self)", ErrBadConfig, c.To)
	}
	switch c.Auth {
	case AuthQuery, AuthHeader, AuthSubprotocol:
		if len(c.Secret) == 0 {
			return c, ErrNoSecret
		}
	case AuthLogin, AuthNone:
	default:
		return c, fmt.Errorf("%w: auth mode %q (want query, header, subprotocol, login or none)", ErrBadConfig, c.Auth)
	}
	for _, t := range c.Targets {
		if _, err := normalizeTarget(t); err != nil {
			return c, err
		}
	}
	return c, nil
}

func pick[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// ParseTargets splits a comma-separated list of host:port pairs and ws:// or
// wss:// URLs into URLs ("host:port" becomes "ws://host:port/").
func ParseTargets(spec string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(spec, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		u, err := normalizeTarget(f)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	if len(out) == 0 {
		return nil, ErrNoTarget
	}
	return out, nil
}

func normalizeTarget(t string) (string, error) {
	if !strings.Contains(t, "://") {
		host, port, err := net.SplitHostPort(t)
		if err != nil || port == "" {
			return "", fmt.Errorf("%w: %q (want host:port or ws://host:port/path)", ErrBadTarget, t)
		}
		return "ws://" + net.JoinHostPort(host, port) + "/", nil
	}
	u, err := url.Parse(t)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return "", fmt.Errorf("%w: %q (want host:port or ws://host:port/path)", ErrBadTarget, t)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String(), nil
}

// maxSrcAddrs caps the size of one source address range.
const maxSrcAddrs = 1 << 16

// ParseSrc parses a comma-separated list of addresses and inclusive ranges,
// e.g. "127.0.0.2-127.0.0.80,10.0.0.1". An empty spec gives nil.
func ParseSrc(spec string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, f := range strings.Split(spec, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(f, "-")
		a, err := netip.ParseAddr(strings.TrimSpace(lo))
		if err != nil {
			return nil, fmt.Errorf("%w: %q", ErrBadSrc, f)
		}
		if !isRange {
			out = append(out, a)
			continue
		}
		b, err := netip.ParseAddr(strings.TrimSpace(hi))
		if err != nil || b.BitLen() != a.BitLen() || b.Less(a) {
			return nil, fmt.Errorf("%w: %q", ErrBadSrc, f)
		}
		for x := a; ; x = x.Next() {
			if len(out) >= maxSrcAddrs {
				return nil, fmt.Errorf("%w: more than %d addresses", ErrBadSrc, maxSrcAddrs)
			}
			out = append(out, x)
			if x == b {
				break
			}
		}
	}
	return out, nil
}
