package auth

import (
	"fmt"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// Users is a credential store: username → bcrypt hash. The zero value is
// not usable; call NewUsers, LoadHtpasswd or DemoUsers. Safe for
// concurrent use.
type Users struct {
	mu      sync.RWMutex
	hashes  map[string][]byte // guarded by mu
	maxCost int               // highest bcrypt cost in hashes; guarded by mu
}

// NewUsers returns an empty store.
func NewUsers() *Users {
	return &Users{hashes: make(map[string][]byte)}
}

// Set adds or replaces username's hash. hash must be a bcrypt hash with
// prefix $2a$, $2b$ or $2y$ (as HashPassword and Apache's htpasswd -B
// make). Errors wrap ErrInvalidUsername or ErrBadHash and never contain the
// hash.
func (u *Users) Set(username, bcryptHash string) error {
	if !validUsername(username) {
		return ErrInvalidUsername
	}
	cost, err := bcryptCost(bcryptHash)
	if err != nil {
		return err
	}
	u.mu.Lock()
	u.hashes[username] = []byte(bcryptHash)
	u.maxCost = max(u.maxCost, cost)
	u.mu.Unlock()
	return nil
}

// Merge adds every user of other to u; other's hash wins for a name both
// have.
func (u *Users) Merge(other *Users) error {
	other.mu.RLock()
	defer other.mu.RUnlock()
	for name, hash := range other.hashes {
		if err := u.Set(name, string(hash)); err != nil {
			return err
		}
	}
	return nil
}

// Len returns the number of users.
func (u *Users) Len() int {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return len(u.hashes)
}

// lookup returns username's hash (which the caller must not modify) and
// the store's highest cost, for the dummy hash of unknown users.
func (u *Users) lookup(username string) (hash []byte, maxCost int) {
	if u == nil {
		return nil, 0
	}
	u.mu.RLock()
	defer u.mu.RUnlock()
	return u.hashes[username], u.maxCost
}

// HashPassword returns the bcrypt hash ($2a$, cost DefaultCost) of
// password, which must be 1 to MaxPasswordLen bytes.
func HashPassword(password string) (string, error) {
	return hashPassword(password, DefaultCost)
}

func hashPassword(password string, cost int) (string, error) {
	if !validPassword(password) {
		return "", ErrInvalidPassword
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	return string(h), nil
}

// bcryptCost checks that h is a well-formed bcrypt hash and returns its cost.
func bcryptCost(h string) (int, error) {
	if len(h) != 60 || !(h[:4] == "$2a$" || h[:4] == "$2b$" || h[:4] == "$2y$") {
		return 0, ErrBadHash
	}
	cost, err := bcrypt.Cost([]byte(h))
	if err != nil {
		return 0, ErrBadHash
	}
	return cost, nil
}

// validUsername: 1 to MaxUsernameLen bytes, no ':' (the htpasswd
// separator), no control characters.
func validUsername(s string) bool {
	if len(s) == 0 || len(s) > MaxUsernameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ':' || c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

func validPassword(s string) bool {
	return len(s) > 0 && len(s) <= MaxPasswordLen
}

// dummyHashes holds, per bcrypt cost, the hash an unknown user's password
// is compared against, so that a login for a user who does not exist costs
// as much as one for a user who does.
type dummyHashes struct {
	mu     sync.Mutex
	byCost map[int][]byte // guarded by mu
}

// get returns the dummy hash of the given cost. A cost other than
// DefaultCost is made on first use: one bcrypt run on the calling pool
// worker, under d.mu (other workers wait for it once).
func (d *dummyHashes) get(cost int) []byte {
	if cost == 0 {
		cost = DefaultCost
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if h, ok := d.byCost[cost]; ok {
		return h
	}
	if cost == DefaultCost {
		return []byte(dummyHash10)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(newJTI()), cost)
	if err != nil {
		return []byte(dummyHash10)
	}
	if d.byCost == nil {
		d.byCost = make(map[int][]byte)
	}
	d.byCost[cost] = h
	return h
}
