package cluster

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// Defaults for zero Config fields.
const (
	DefaultPublishQueue   = 1 << 16
	DefaultInboundQueue   = 1 << 16
	DefaultMaxPending     = 1 << 16
	DefaultRequestTimeout = 5 * time.Second
	DefaultReconnectWait  = time.Second
	DefaultPingInterval   = 10 * time.Second
	DefaultWriteTimeout   = 2 * time.Second
	DefaultConnectTimeout = 2 * time.Second
)

// Config configures a [Bus]. Zero fields get the defaults above.
type Config struct {
	// URLs are the NATS servers (nats://, tls://, with user:password@ if
	// the server wants it); at least one. The bus connects to one and fails
	// over to the others.
	URLs []string
	// NodeID names this node in NATS (connection name) and in control
	// messages; default "gw-" and 12 random hex digits.
	NodeID string
	// CredsFile is a NATS credentials file (user JWT and NKey seed).
	CredsFile string
	// TLS, when set, makes the connection require TLS with this config.
	TLS *tls.Config
	// PublishQueue is how many messages may wait for the publisher
	// goroutine; past it Publish and Request return ErrBusy.
	PublishQueue int
	// InboundQueue is how many messages from NATS may wait for the inbound
	// dispatcher; past it nats.go drops them (a slow-consumer event).
	InboundQueue int
	// MaxPending caps backend requests in flight; past it Request returns
	// ErrBusy.
	MaxPending int
	// RequestTimeout bounds the wait for a backend's reply.
	RequestTimeout time.Duration
	// ReconnectWait is the pause between reconnect attempts.
	ReconnectWait time.Duration
	// PingInterval is how often the client pings the server; two
	// unanswered pings mark the link dead and start reconnecting.
	PingInterval time.Duration
	// WriteTimeout bounds one socket write to NATS; a server that stalls
	// longer is dropped and reconnected to.
	WriteTimeout time.Duration
	// ConnectTimeout bounds one connect attempt.
	ConnectTimeout time.Duration
	// Logger receives connection events (default slog.Default()). URLs are
	// logged with their passwords redacted.
	Logger *slog.Logger
	// Options are further nats.go options, applied last (token or user
	// authentication, NKeys, …). They must not replace the handlers the bus
	// installs.
	Options []nats.Option
}

// ParseURLs splits a comma-separated list of NATS URLs.
func ParseURLs(spec string) []string {
	var out []string
	for _, u := range strings.Split(spec, ",") {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, u)
		}
	}
	return out
}

// NewNodeID returns "gw-" and 12 random hex digits.
func NewNodeID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "gw-" + hex.EncodeToString(b[:])
}

func validNodeID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !plainByte(c) && c != '.' {
			return false
		}
	}
	return true
}

func (c Config) withDefaults() (Config, error) {
	if len(c.URLs) == 0 {
		return c, fmt.Errorf("%w: no NATS URL", ErrConfig)
	}
	if c.NodeID == "" {
		c.NodeID = NewNodeID()
	}
	if !validNodeID(c.NodeID) {
		return c, fmt.Errorf("%w: node id must be 1-64 bytes of [A-Za-z0-9_.-]", ErrConfig)
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.PublishQueue, DefaultPublishQueue)
	def(&c.InboundQueue, DefaultInboundQueue)
	def(&c.MaxPending, DefaultMaxPending)
	defDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	defDur(&c.RequestTimeout, DefaultRequestTimeout)
	defDur(&c.ReconnectWait, DefaultReconnectWait)
	defDur(&c.PingInterval, DefaultPingInterval)
	defDur(&c.WriteTimeout, DefaultWriteTimeout)
	defDur(&c.ConnectTimeout, DefaultConnectTimeout)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.PublishQueue < 0 || c.InboundQueue < 0 || c.MaxPending < 0 || c.RequestTimeout < 0 ||
		c.ReconnectWait < 0 || c.PingInterval < 0 || c.WriteTimeout < 0 || c.ConnectTimeout < 0 {
		return c, fmt.Errorf("%w: negative size or duration", ErrConfig)
	}
	return c, nil
}

// natsOptions are the nats.go options of the bus's connection.
func (b *Bus) natsOptions() []nats.Option {
	c := &b.cfg
	opts := []nats.Option{
		nats.Name("imgate " + c.NodeID),
		nats.NoEcho(),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
		nats.ReconnectWait(c.ReconnectWait),
		// No replay: what cannot be sent now fails now.
		nats.ReconnectBufSize(-1),
		nats.PingInterval(c.PingInterval),
		nats.MaxPingsOutstanding(2),
		nats.FlusherTimeout(c.WriteTimeout),
		nats.Timeout(c.ConnectTimeout),
		nats.ConnectHandler(b.onConnect),
		nats.ReconnectHandler(b.onReconnect),
		nats.DisconnectErrHandler(b.onDisconnect),
		nats.ClosedHandler(b.onClosed),
		nats.ErrorHandler(b.onError),
	}
	if c.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(c.CredsFile))
	}
	if c.TLS != nil {
		opts = append(opts, nats.Secure(c.TLS))
	}
	return append(opts, c.Options...)
}
