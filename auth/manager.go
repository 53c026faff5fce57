package auth

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Limits on what the package accepts.
const (
	MinSecretLen   = 32        // bytes of HS256 key, at least
	MaxTokenLen    = 8 << 10   // longer tokens are refused before parsing
	MaxUserIDLen   = 128       // bytes of "sub"
	MaxDeviceIDLen = 64        // bytes of "did" (as PROTOCOL.md's device_id)
	MaxUsernameLen = 128       // bytes
	MaxPasswordLen = 72        // bytes; bcrypt ignores anything longer
	DefaultCost    = 10        // bcrypt cost of HashPassword
	typRefresh     = "refresh" // "typ" claim of refresh tokens
)

// Config configures a Manager. Zero fields get the defaults named on each.
type Config struct {
	// Secret is the HS256 key, at least MinSecretLen bytes. Required.
	// New copies it.
	Secret []byte

	// Issuer and Audience, when set, are written into every issued token
	// and required (exactly, for aud: among the token's audiences) by
	// Verify and VerifyRefresh. Empty: neither written nor checked.
	Issuer   string
	Audience string

	AccessTTL  time.Duration // lifetime of access tokens; default 15m
	RefreshTTL time.Duration // lifetime of refresh tokens; default 720h

	// Leeway is the clock skew allowed on exp and nbf; default 0.
	Leeway time.Duration

	// Users is the credential store. Nil: every login fails with
	// ErrBadCredentials (after the same bcrypt work as an unknown user).
	Users *Users

	Workers   int // bcrypt goroutines; default runtime.GOMAXPROCS(0)
	QueueSize int // logins waiting for a worker; default 1024

	// Now is the clock; default time.Now. For tests.
	Now func() time.Time
}

// Manager verifies and issues tokens and runs logins. See the package
// documentation for what is goroutine-safe (all of it).
type Manager struct {
	secret   []byte
	key      any // secret boxed once, so the jwt key function does not allocate
	issuer   string
	audience string
	access   time.Duration
	refresh  time.Duration
	users    *Users
	now      func() time.Time
	parser   *jwt.Parser
	keyFunc  jwt.Keyfunc
	dummies  dummyHashes
	macs     macPool

	mu     sync.RWMutex // guards closed and sends on jobs against Close
	closed bool
	jobs   chan loginJob
	wg     sync.WaitGroup
}

// New checks cfg, fills in defaults and starts cfg.Workers login goroutines.
// Call Close to stop them.
func New(cfg Config) (*Manager, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	m := &Manager{
		secret:   append([]byte(nil), cfg.Secret...),
		issuer:   cfg.Issuer,
		audience: cfg.Audience,
		access:   cfg.AccessTTL,
		refresh:  cfg.RefreshTTL,
		users:    cfg.Users,
		now:      cfg.Now,
		jobs:     make(chan loginJob, cfg.QueueSize),
	}
	m.key = m.secret
	m.macs.init(m.secret)
	m.keyFunc = func(*jwt.Token) (any, error) { return m.key, nil }
	m.parser = jwt.NewParser(cfg.parserOptions()...)
	m.startWorkers(cfg.Workers)
	return m, nil
}

func (cfg *Config) fill() error {
	switch {
	case len(cfg.Secret) < MinSecretLen:
		return fmt.Errorf("%w: secret is %d bytes, want at least %d", ErrConfig, len(cfg.Secret), MinSecretLen)
	case cfg.AccessTTL < 0, cfg.RefreshTTL < 0:
		return fmt.Errorf("%w: negative token lifetime", ErrConfig)
	case cfg.Leeway < 0:
		return fmt.Errorf("%w: negative leeway", ErrConfig)
	case cfg.Workers < 0, cfg.QueueSize < 0:
		return fmt.Errorf("%w: negative Workers or QueueSize", ErrConfig)
	}
	if cfg.AccessTTL == 0 {
		cfg.AccessTTL = 15 * time.Minute
	}
	if cfg.RefreshTTL == 0 {
		cfg.RefreshTTL = 720 * time.Hour
	}
	if cfg.Workers == 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.QueueSize == 0 {
		cfg.QueueSize = 1024
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return nil
}

func (cfg *Config) parserOptions() []jwt.ParserOption {
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithStrictDecoding(), // one spelling per token: no padding bits
		jwt.WithTimeFunc(cfg.Now),
		jwt.WithLeeway(cfg.Leeway),
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	return opts
}

// AccessTTL returns the lifetime of the access tokens m issues.
func (m *Manager) AccessTTL() time.Duration { return m.access }

// RefreshTTL returns the lifetime of the refresh tokens m issues.
func (m *Manager) RefreshTTL() time.Duration { return m.refresh }
