package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"strings"
	"sync"
)

// hs256SigLen is the length of an HS256 signature in unpadded base64url.
const hs256SigLen = 43

// macPool hands out HMAC-SHA256 states keyed with the Manager's secret,
// each with its own scratch buffers, so that a signature check allocates
// nothing once warm. A state belongs to one goroutine between Get and Put.
type macPool struct {
	pool sync.Pool
}

type macState struct {
	h   hash.Hash
	in  []byte // signing input copied from the token (hash.Hash takes []byte)
	sum []byte
}

func (p *macPool) init(secret []byte) {
	p.pool.New = func() any {
		return &macState{h: hmac.New(sha256.New, secret), sum: make([]byte, 0, sha256.Size)}
	}
}

// checkSignature returns nil when token has three segments and ends in
// the canonical HS256 signature, under the secret, of everything before its
// last '.'; else a pre-wrapped ErrTokenInvalid (malformed or bad
// signature). It runs before any JSON is parsed, so a forged token costs
// one HMAC and never reaches a decoder. It passes a superset of what jwt
// then accepts: every token jwt verifies as HS256 passes here, and jwt
// still checks the header and the claims.
func (p *macPool) checkSignature(token string) error {
	if strings.Count(token, ".") != 2 {
		return errInvalidMalformed
	}
	dot := strings.LastIndexByte(token, '.')
	if len(token)-dot-1 != hs256SigLen {
		return errInvalidSignature
	}
	var enc [hs256SigLen]byte
	var sig [sha256.Size]byte
	copy(enc[:], token[dot+1:])
	if n, err := base64.RawURLEncoding.Strict().Decode(sig[:], enc[:]); err != nil || n != len(sig) {
		return errInvalidMalformed
	}
	if !p.equal(token[:dot], sig[:]) {
		return errInvalidSignature
	}
	return nil
}

// equal reports whether sig is the HMAC of input, in constant time.
func (p *macPool) equal(input string, sig []byte) bool {
	st := p.pool.Get().(*macState)
	st.in = append(st.in[:0], input...)
	st.h.Reset()
	st.h.Write(st.in)
	st.sum = st.h.Sum(st.sum[:0])
	ok := hmac.Equal(st.sum, sig)
	p.pool.Put(st)
	return ok
}
