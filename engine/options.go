package engine

import (
	"fmt"
	"log/slog"
	"runtime"
	"time"
)

// Options configures a Server. The zero value of every field means its
// default, given in the field's comment.
type Options struct {
	// Loops is the number of event loops (default runtime.GOMAXPROCS(0)).
	Loops int
	// ReusePort lets several processes share one port (SO_REUSEPORT).
	// Without it Serve fails when another socket listens on the address.
	// (Each event loop has its own SO_REUSEPORT listener either way: see
	// listen.go.)
	ReusePort bool
	// MaxConns caps open connections, handshaking ones included; past it a
	// new connection gets HTTP 503 and is closed (default 0: no cap).
	MaxConns int
	// MaxHeadBytes caps the HTTP request head (default 8 KiB, larger → 431).
	MaxHeadBytes int
	// MaxMessageSize caps one message, reassembled (default 64 KiB, larger →
	// close 1009).
	MaxMessageSize int
	// WriteQueueBytes caps the bytes queued and not yet sent to one
	// connection (default 1 MiB, more → close 4008).
	WriteQueueBytes int
	// HandshakeTimeout bounds the time from accept to a complete request
	// head (default 5s).
	HandshakeTimeout time.Duration
	// IdleTimeout closes (1001) an upgraded connection with no inbound frame
	// for this long (default 90s; negative disables).
	IdleTimeout time.Duration
	// PingInterval is how often the server pings an upgraded connection
	// (default 25s; negative disables).
	PingInterval time.Duration
	// CloseTimeout is how long the server waits for the peer's close frame
	// after sending its own (default 3s).
	CloseTimeout time.Duration
	// TimerResolution is the period of the timer sweep (default: a quarter
	// of the shortest timeout above, between 10ms and 1s). A handler that
	// uses SetDeadline with short durations should lower it.
	TimerResolution time.Duration
	// Logger receives the engine's own warnings (default slog.Default()).
	Logger *slog.Logger
	// Admission configures the refusals before an upgrade: origins,
	// per-IP connect rate, Retry-After (see Admission).
	Admission Admission
	// Compression negotiates permessage-deflate (RFC 7692) with no context
	// takeover both ways when a client offers it (default off).
	Compression bool
	// CompressionMinSize is the smallest payload SendFrame sends compressed
	// (default 128 bytes; smaller ones go plain, which RFC 7692 allows per
	// message).
	CompressionMinSize int
	// TLS, when set, adds a wss:// listener on the same event loops (see
	// TLSOptions). HandshakeTimeout then bounds the TLS handshake and,
	// separately, the request head that follows it.
	TLS *TLSOptions
}

// Option changes Options; New applies them in order.
type Option func(*Options)

// WithOptions replaces all options at once.
func WithOptions(o Options) Option { return func(dst *Options) { *dst = o } }

func (o *Options) withDefaults() (Options, error) {
	r := *o
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if r.Loops <= 0 {
		r.Loops = runtime.GOMAXPROCS(0)
	}
	if r.MaxHeadBytes <= 0 {
		r.MaxHeadBytes = 8 << 10
	}
	if r.MaxMessageSize <= 0 {
		r.MaxMessageSize = 64 << 10
	}
	if r.CompressionMinSize <= 0 {
		r.CompressionMinSize = 128
	}
	if r.WriteQueueBytes <= 0 {
		r.WriteQueueBytes = 1 << 20
	}
	def(&r.HandshakeTimeout, 5*time.Second)
	def(&r.IdleTimeout, 90*time.Second)
	def(&r.PingInterval, 25*time.Second)
	def(&r.CloseTimeout, 3*time.Second)
	if r.TimerResolution <= 0 {
		r.TimerResolution = resolutionFor(r.HandshakeTimeout, r.IdleTimeout, r.PingInterval, r.CloseTimeout)
	}
	if r.Logger == nil {
		r.Logger = slog.Default()
	}
	r.Admission.withDefaults()
	if err := r.tlsDefaults(); err != nil {
		return r, err
	}
	if r.HandshakeTimeout < 0 || r.CloseTimeout < 0 {
		return r, fmt.Errorf("%w: handshake and close timeouts must be positive", ErrBadOptions)
	}
	return r, nil
}

// resolutionFor returns a quarter of the shortest positive duration, clamped
// to [10ms, 1s].
func resolutionFor(ds ...time.Duration) time.Duration {
	res := time.Second
	for _, d := range ds {
		if d > 0 && d/4 < res {
			res = d / 4
		}
	}
	return max(res, 10*time.Millisecond)
}
