package auth

import (
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"unsafe"

	"github.com/golang-jwt/jwt/v5"
)

// The fast verifier: the same checks as golang-jwt's ParseWithClaims with
// the key's parser (the algorithm pin, the signature, jwt's Validator for
// exp/nbf/iat/iss/aud and leeway, parsedClaims.Validate), without the
// garbage: one pass over the token, base64 into a pooled buffer, the
// header and the claims read by jscan in place, and only the strings the
// caller keeps copied out. A token it cannot read exactly as
// encoding/json would (an escape in a string, a key that differs from a
// claim's name only in case, a duplicate claim, an unknown kid, another
// algorithm than the key's, a segment too long for the buffer…) goes to
// the slow path, golang-jwt itself, which decides. fastverify_test.go
// compares the two on a corpus and under the fuzzer.

// scratchLen bounds a decoded header or claims segment on the fast path
// (about 2.7 KB of token text); longer ones take the slow path.
const scratchLen = 2048

// maxSigLen bounds a decoded signature on the fast path (RSA-4096: 512 B).
const maxSigLen = 512

// verifyScratch is what one fast verification works in. Taken from
// scratchPool by one goroutine for one Verify; the strings in c alias buf
// and must be copied before it goes back.
type verifyScratch struct {
	buf   [scratchLen]byte
	sig   [maxSigLen]byte
	c     parsedClaims
	aud   []string
	rooms []string
}

var scratchPool = sync.Pool{New: func() any { return new(verifyScratch) }}

// strictB64 is jwt's segment decoding with WithStrictDecoding.
var strictB64 = base64.RawURLEncoding.Strict()

// verdict is what the fast path concludes: done (claims or err are the
// answer, exactly what the slow path would have said) or not (the slow
// path must decide).
type verdict struct {
	claims Claims
	err    error
	done   bool
}

// verifyFast verifies token against kr on the fast path. Any goroutine.
func (m *Manager) verifyFast(kr *keyring, token string) verdict {
	d1 := strings.IndexByte(token, '.')
	if d1 < 0 || d1 > maxHeaderLen {
		return verdict{}
	}
	d2 := d1 + 1 + strings.IndexByte(token[d1+1:], '.')
	if d2 == d1 || strings.IndexByte(token[d2+1:], '.') >= 0 {
		return verdict{}
	}
	sc := scratchPool.Get().(*verifyScratch)
	v := m.verifyIn(sc, kr, token, d1, d2)
	sc.release()
	return v
}

// verifyIn runs the fast path in sc; d1 and d2 are the token's two dots.
func (m *Manager) verifyIn(sc *verifyScratch, kr *keyring, token string, d1, d2 int) verdict {
	hdr, ok := decodeSegment(sc.buf[:], token[:d1])
	if !ok {
		return verdict{}
	}
	alg, kid, ok := readHeader(hdr)
	if !ok {
		return verdict{}
	}
	k := kr.pickFast(kid)
	if k == nil {
		return verdict{}
	}
	if k.macs != nil { // as the slow path: the HS256 signature before anything else
		if err := k.macs.checkSignature(token); err != nil {
			return verdict{err: err, done: true}
		}
	}
	if string(alg) != k.Alg {
		return verdict{}
	}
	// alg and kid alias sc.buf: not used past this point.
	raw, ok := decodeSegment(sc.buf[:], token[d1+1:d2])
	if !ok || !sc.readClaims(raw) {
		return verdict{}
	}
	if k.macs == nil {
		sig, ok := decodeSegment(sc.sig[:], token[d2+1:])
		if !ok {
			return verdict{}
		}
		if k.method.Verify(token[:d2], sig, k.verify) != nil {
			return verdict{err: classify(jwt.ErrTokenSignatureInvalid), done: true}
		}
	}
	if err := m.validator.Validate(&sc.c); err != nil {
		// jwt's own wrapping (ParseWithClaims), so that classify reads it
		// as it reads the slow path's.
		return verdict{err: classify(fmt.Errorf("%w: %w", jwt.ErrTokenInvalidClaims, err)), done: true}
	}
	if sc.c.Fid != "" && m.revoked.has(sc.c.Fid) {
		return verdict{err: errInvalidRevoked, done: true}
	}
	return verdict{claims: sc.claims(), done: true}
}

// decodeSegment decodes one base64url segment (strict, unpadded, as jwt
// with WithStrictDecoding) into dst; false when it does not fit or is not
// valid.
func decodeSegment(dst []byte, seg string) ([]byte, bool) {
	if strictB64.DecodedLen(len(seg)) > len(dst) {
		return nil, false
	}
	n, err := strictB64.Decode(dst, unsafe.Slice(unsafe.StringData(seg), len(seg)))
	return dst[:n], err == nil
}

// readHeader reads a JOSE header: "alg" (a string, required) and "kid" (a
// string; nil when absent); other members are skipped. false for anything
// jwt's map decoding or headerKID's case-insensitive struct might read
// otherwise: a duplicate alg or kid, a key that folds to either, a null or
// escaped value.
func readHeader(b []byte) (alg, kid []byte, ok bool) {
	s := jscan{b: b}
	var seenAlg, seenKid bool
	ok = s.object(func(key []byte) bool {
		switch {
		case string(key) == "alg" && !seenAlg:
			seenAlg = true
			alg, ok = s.plainString()
			return ok
		case string(key) == "kid" && !seenKid:
			seenKid = true
			kid, ok = s.plainString()
			return ok
		case foldsTo(key, "alg"), foldsTo(key, "kid"):
			return false
		}
		return s.skipValue(0)
	})
	return alg, kid, ok && seenAlg
}

// pickFast is pick for a header already read: kid nil when the header has
// none. nil when no key fits (the slow path then says which error).
func (kr *keyring) pickFast(kid []byte) *ringKey {
	if len(kr.byKID) == 0 || len(kid) == 0 {
		return kr.noKID
	}
	return kr.byKID[string(kid)]
}

// claimNames are parsedClaims' JSON names, by bit in readClaims' mask.
var claimNames = [...]string{"sub", "exp", "nbf", "iat", "iss", "aud", "jti", "typ", "did", "fid", "rooms"}

// readClaims decodes the claims object into sc.c as encoding/json would,
// or returns false. The strings alias b.
func (sc *verifyScratch) readClaims(b []byte) bool {
	sc.c = newParsedClaims()
	s := jscan{b: b}
	var seen uint16
	return s.object(func(key []byte) bool {
		for i, name := range claimNames {
			if string(key) == name {
				if seen&(1<<i) != 0 {
					return false // a duplicate: encoding/json keeps the last one
				}
				seen |= 1 << i
				return sc.readClaim(&s, i)
			}
			if foldsTo(key, name) {
				return false
			}
		}
		return s.skipValue(0)
	})
}

// readClaim reads the value of claimNames[i]. null leaves the field as it
// is, as encoding/json does.
func (sc *verifyScratch) readClaim(s *jscan, i int) bool {
	if s.null() {
		return true
	}
	c := &sc.c
	switch claimNames[i] {
	case "exp":
		return readFloat(s, &c.Exp)
	case "nbf":
		return readFloat(s, &c.Nbf)
	case "iat":
		return readFloat(s, &c.Iat)
	case "aud":
		return sc.readAudience(s)
	case "rooms":
		rooms, ok := readStrings(s, sc.rooms[:0])
		sc.rooms, c.Rooms = rooms, rooms
		return ok
	}
	str, ok := s.plainString()
	if !ok {
		return false
	}
	v := unsafe.String(unsafe.SliceData(str), len(str))
	switch claimNames[i] {
	case "sub":
		c.Sub = v
	case "iss":
		c.Iss = v
	case "jti":
		c.Jti = v
	case "typ":
		c.Typ = v
	case "did":
		c.Did = v
	case "fid":
		c.Fid = v
	}
	return true
}

func readFloat(s *jscan, dst *float64) bool {
	f, ok := s.float()
	*dst = f
	return ok
}

// readAudience reads "aud" as jwt.ClaimStrings does: a string, or an
// array of strings (an empty one leaves nil).
func (sc *verifyScratch) readAudience(s *jscan) bool {
	var ok bool
	if s.peek() == '"' {
		var str []byte
		str, ok = s.plainString()
		sc.aud = append(sc.aud[:0], unsafe.String(unsafe.SliceData(str), len(str)))
	} else {
		sc.aud, ok = readStrings(s, sc.aud[:0])
	}
	sc.c.Aud = sc.aud
	if len(sc.aud) == 0 {
		sc.c.Aud = nil
	}
	return ok
}

// readStrings reads an array of plain strings, appending to dst (which
// comes back non-nil, as encoding/json's slice for "[]").
func readStrings(s *jscan, dst []string) ([]string, bool) {
	if dst == nil {
		dst = make([]string, 0, 4)
	}
	if !s.eat('[') {
		return dst, false
	}
	if s.eat(']') {
		return dst, true
	}
	for {
		str, ok := s.plainString()
		if !ok {
			return dst, false
		}
		dst = append(dst, unsafe.String(unsafe.SliceData(str), len(str)))
		if s.eat(']') {
			return dst, true
		}
		if !s.eat(',') {
			return dst, false
		}
	}
}

// claims copies out what the caller keeps: the strings and the rooms,
// which alias sc.buf until then.
func (sc *verifyScratch) claims() Claims {
	c := &sc.c
	out := c.claims() // times, and the strings still aliased
	out.UserID = strings.Clone(c.Sub)
	out.DeviceID = strings.Clone(c.Did)
	out.ID = strings.Clone(c.Jti)
	out.Family = strings.Clone(c.Fid)
	if c.Rooms != nil {
		out.Rooms = make([]string, len(c.Rooms))
		for i, r := range c.Rooms {
			out.Rooms[i] = strings.Clone(r)
		}
	}
	return out
}

// release drops what aliases sc.buf and puts sc back in the pool.
func (sc *verifyScratch) release() {
	sc.c = parsedClaims{}
	clear(sc.aud)
	clear(sc.rooms)
	scratchPool.Put(sc)
}
