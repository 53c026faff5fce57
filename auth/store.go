package auth

import (
	"time"
)

// spentRing is how many spent refresh tokens of a family are remembered:
// presenting one of them is a reuse (the family is revoked); an older one
// is merely refused as invalid.
const spentRing = 8

// maxFamilyIDLen bounds a family ID (the Manager makes 22-byte ones).
const maxFamilyIDLen = 64

// Family is one login's chain of refresh tokens. Each refresh spends the
// current token and makes the next generation current; the family
// remembers the hashes (never the tokens) of the current one and of the
// last few spent ones, so a spent token presented again is recognised.
type Family struct {
	ID       string    // random, also the "fid" claim of its access tokens
	UserID   string    // the user who logged in
	DeviceID string    // the device its tokens are bound to; "" none
	Created  time.Time // the login
	Expires  time.Time // when the current refresh token expires
	Revoked  time.Time // zero unless revoked (logout, kick, reuse)
	Gen      uint32    // generation of the current token, 0 at login
	Current  [32]byte  // SHA-256 of the current token
	// Spent holds the SHA-256 of spent tokens: that of generation g at
	// Spent[g % spentRing], for the spentRing generations before Gen.
	Spent [spentRing][32]byte
}

// IsRevoked reports whether the family is revoked.
func (f *Family) IsRevoked() bool { return !f.Revoked.IsZero() }

// Version identifies one stored state of a family, for Update's
// compare-and-swap. Stores define its values; zero is never a valid version
// of a stored family.
type Version uint64

// RefreshStore keeps refresh-token families. The Manager puts all the
// token logic on top of these few operations, so a store is a plain
// key-value table with compare-and-swap: MemoryStore, the bbolt store of
// package boltstore, or a replicated one (a NATS JetStream bucket) for a
// cluster; package storetest checks any of them.
//
// Every method is safe for concurrent use and may block on I/O: call them
// from worker goroutines, never from an event loop. Create, Update and
// Prune return once their change is durable. Errors other than the
// sentinels named below wrap ErrStore.
type RefreshStore interface {
	// Create stores f, which must not exist yet (ErrFamilyExists).
	Create(f *Family) error
	// Get returns the family with the given ID and its version, or
	// ErrFamilyNotFound.
	Get(id string) (Family, Version, error)
	// Update replaces the stored family f.ID with f if its version is still
	// v; else ErrConflict (ErrFamilyNotFound if it is gone).
	Update(f *Family, v Version) error
	// ByUser returns the IDs of userID's families, in no set order.
	ByUser(userID string) ([]string, error)
	// RevokedSince returns the families revoked at or after since that are
	// still stored.
	RevokedSince(since time.Time) ([]Family, error)
	// Prune deletes the families whose Expires is before now and returns
	// how many it deleted.
	Prune(now time.Time) (int, error)
}
