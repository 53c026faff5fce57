package auth

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
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
	typRefresh     = "refresh" // "typ" of the JWT refresh tokens of old versions: never an access token
)

// Config configures a Manager. Zero fields get the defaults named on each.
type Config struct {
	// Secret is an HS256 key, at least MinSecretLen bytes. It verifies
	// tokens without a "kid" and signs new tokens unless Keys names a
	// current key. Required unless Keys is set. New copies it.
	Secret []byte

	// Keys are further keys, by kid, each pinned to its algorithm (see
	// ReadKeySet). Tokens with a kid verify only with the key of that kid;
	// Keys.Current, when set, signs new tokens (with its kid in the header).
	// SetKeys replaces them while running.
	Keys *KeySet

	// Issuer and Audience, when set, are written into every issued token
	// and required (exactly, for aud: among the token's audiences) by
	// Verify. Empty: neither written nor checked.
	Issuer   string
	Audience string

	AccessTTL  time.Duration // lifetime of access tokens; default 15m
	RefreshTTL time.Duration // lifetime of refresh tokens; default 720h

	// Leeway is the clock skew allowed on exp and nbf; default 0.
	Leeway time.Duration

	// Users is the credential store. Nil: every login fails with
	// ErrBadCredentials (after the same bcrypt work as an unknown user).
	Users *Users

	// Store keeps refresh-token families; default a new MemoryStore (lost
	// on restart). The Manager does not close it.
	Store RefreshStore

	// Throttle limits failed logins; the zero value gets the defaults of
	// ThrottleConfig.
	Throttle ThrottleConfig

	Workers   int // bcrypt goroutines; default runtime.GOMAXPROCS(0)
	QueueSize int // logins waiting for a worker; default 1024

	// StoreWorkers run refresh-token work handed over by RefreshAsync and
	// RevokeAsync (default 8); StoreQueue bounds what waits for them
	// (default 1024).
	StoreWorkers int
	StoreQueue   int

	// PruneInterval is how often expired families are deleted from the
	// store (default 10m).
	PruneInterval time.Duration

	// Now is the clock; default time.Now. For tests.
	Now func() time.Time
}

// Manager verifies and issues tokens, runs logins and keeps refresh-token
// families. See the package documentation for what is goroutine-safe (all
// of it).
type Manager struct {
	secret    []byte
	keys      atomic.Pointer[keyring]
	popts     []jwt.ParserOption
	validator *jwt.Validator // popts' claims checks, for the fast path
	issuer    string
	audience  string
	access    time.Duration
	refresh   time.Duration
	leeway    time.Duration
	users     *Users
	now       func() time.Time
	dummies   dummyHashes
	store     RefreshStore
	revoked   revokedSet
	throttle  *throttle

	mu         sync.RWMutex // guards closed and sends on jobs and storeJobs against Close
	closed     bool
	jobs       chan loginJob
	storeJobs  chan func()
	stopPrune  chan struct{}
	pruneEvery time.Duration
	wg         sync.WaitGroup
	storeGroup sync.WaitGroup
}

// New checks cfg, fills in defaults and starts cfg.Workers login goroutines
// and cfg.StoreWorkers store goroutines. Call Close to stop them.
func New(cfg Config) (*Manager, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	m := &Manager{
		secret:     append([]byte(nil), cfg.Secret...),
		popts:      cfg.parserOptions(),
		issuer:     cfg.Issuer,
		audience:   cfg.Audience,
		access:     cfg.AccessTTL,
		refresh:    cfg.RefreshTTL,
		leeway:     cfg.Leeway,
		users:      cfg.Users,
		now:        cfg.Now,
		store:      cfg.Store,
		throttle:   newThrottle(cfg.Throttle, cfg.Now),
		jobs:       make(chan loginJob, cfg.QueueSize),
		storeJobs:  make(chan func(), cfg.StoreQueue),
		stopPrune:  make(chan struct{}),
		pruneEvery: cfg.PruneInterval,
	}
	m.validator = jwt.NewValidator(m.popts...)
	if err := m.SetKeys(cfg.Keys); err != nil {
		return nil, err
	}
	if err := m.loadRevoked(); err != nil {
		return nil, err
	}
	m.startWorkers(cfg.Workers)
	m.startStoreWorkers(cfg.StoreWorkers)
	return m, nil
}

// SetKeys replaces Config.Keys (nil: none) while running: tokens verify with
// the new keys from the next Verify on, and new tokens are signed with the
// new current key. On error the keys in force stay. Safe for concurrent use.
func (m *Manager) SetKeys(ks *KeySet) error {
	kr, err := newKeyring(m.secret, ks, m.popts)
	if err != nil {
		return err
	}
	if kr.noKID == nil && len(kr.byKID) == 0 {
		return fmt.Errorf("%w: no secret and no keys", ErrConfig)
	}
	m.keys.Store(kr)
	return nil
}

func (cfg *Config) fill() error {
	switch {
	case cfg.Keys == nil && len(cfg.Secret) < MinSecretLen,
		cfg.Keys != nil && len(cfg.Secret) > 0 && len(cfg.Secret) < MinSecretLen:
		return fmt.Errorf("%w: secret is %d bytes, want at least %d", ErrConfig, len(cfg.Secret), MinSecretLen)
	case cfg.AccessTTL < 0, cfg.RefreshTTL < 0:
		return fmt.Errorf("%w: negative token lifetime", ErrConfig)
	case cfg.Leeway < 0:
		return fmt.Errorf("%w: negative leeway", ErrConfig)
	case cfg.Workers < 0, cfg.QueueSize < 0, cfg.StoreWorkers < 0, cfg.StoreQueue < 0, cfg.PruneInterval < 0:
		return fmt.Errorf("%w: negative Workers, QueueSize, StoreWorkers or StoreQueue", ErrConfig)
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
	if cfg.StoreWorkers == 0 {
		cfg.StoreWorkers = 8
	}
	if cfg.StoreQueue == 0 {
		cfg.StoreQueue = 1024
	}
	if cfg.PruneInterval == 0 {
		cfg.PruneInterval = 10 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Store == nil {
		cfg.Store = NewMemoryStore()
	}
	return nil
}

// parserOptions are the checks every key's parser makes; each key adds its
// pinned algorithm.
func (cfg *Config) parserOptions() []jwt.ParserOption {
	opts := []jwt.ParserOption{
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

// Leeway returns the clock skew Verify allows on exp and nbf.
func (m *Manager) Leeway() time.Duration { return m.leeway }
