package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
)

// A refresh token is opaque to clients: base64url (no padding) of the
// family ID's 16 bytes, the generation (4 bytes, big-endian) and 32 random
// bytes. Stores keep only its SHA-256.
const (
	familyIDBytes   = 16
	refreshRawLen   = familyIDBytes + 4 + 32
	refreshTokenLen = (refreshRawLen*8 + 5) / 6 // 70 characters
)

var b64 = base64.RawURLEncoding.Strict()

// newFamilyID returns a random family ID (22 characters).
func newFamilyID() string {
	var b [familyIDBytes]byte
	_, _ = rand.Read(b[:])
	return b64.EncodeToString(b[:])
}

// makeRefreshToken returns a new token of generation gen of family fid
// (made by newFamilyID) and its hash.
func makeRefreshToken(fid string, gen uint32) (string, [32]byte) {
	var raw [refreshRawLen]byte
	if n, err := b64.Decode(raw[:familyIDBytes], []byte(fid)); err != nil || n != familyIDBytes {
		panic("auth: malformed family id") // only newFamilyID's IDs reach here
	}
	binary.BigEndian.PutUint32(raw[familyIDBytes:], gen)
	_, _ = rand.Read(raw[familyIDBytes+4:])
	tok := b64.EncodeToString(raw[:])
	return tok, hashToken(tok)
}

// parseRefreshToken splits a token into its family ID and generation; ok
// is false for anything makeRefreshToken cannot have made.
func parseRefreshToken(tok string) (fid string, gen uint32, ok bool) {
	if len(tok) != refreshTokenLen {
		return "", 0, false
	}
	var raw [refreshRawLen]byte
	if n, err := b64.Decode(raw[:], []byte(tok)); err != nil || n != refreshRawLen {
		return "", 0, false
	}
	return b64.EncodeToString(raw[:familyIDBytes]), binary.BigEndian.Uint32(raw[familyIDBytes:]), true
}

func hashToken(tok string) [32]byte { return sha256.Sum256([]byte(tok)) }

// tokenState is what a presented token is to its family.
type tokenState uint8

const (
	tokenUnknown tokenState = iota // forged, or spent too long ago to tell
	tokenCurrent                   // the one token that may be spent now
	tokenSpent                     // spent already: a reuse
)

// state classifies the token of generation gen with hash h.
func (f *Family) state(gen uint32, h *[32]byte) tokenState {
	switch {
	case gen == f.Gen && subtle.ConstantTimeCompare(h[:], f.Current[:]) == 1:
		return tokenCurrent
	case gen < f.Gen && f.Gen-gen <= spentRing &&
		subtle.ConstantTimeCompare(h[:], f.Spent[gen%spentRing][:]) == 1:
		return tokenSpent
	}
	return tokenUnknown
}
