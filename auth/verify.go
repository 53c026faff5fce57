package auth

import (
	"errors"

	"github.com/golang-jwt/jwt/v5"
)

// Verify checks an access token and returns its claims. The token's "kid"
// picks the key (see Config.Keys), whose pinned algorithm alone is
// accepted. Verify returns an error wrapping ErrTokenExpired when the
// token's only fault is a passed "exp", and one wrapping ErrTokenInvalid for
// everything else, including a token of a revoked refresh-token family
// (claim "fid") and a refresh token of an older version. The error never
// contains token text. Safe for concurrent use.
func (m *Manager) Verify(token string) (Claims, error) {
	if len(token) > MaxTokenLen {
		return Claims{}, errInvalidTooLong
	}
	kr := m.keys.Load()
	if v := m.verifyFast(kr, token); v.done {
		return v.claims, v.err
	}
	return m.verifySlow(kr, token)
}

// verifySlow is Verify through golang-jwt's ParseWithClaims: for the
// tokens the fast path (fastverify.go) does not decide, and the reference
// that fastverify_test.go holds the fast path to. Any goroutine.
func (m *Manager) verifySlow(kr *keyring, token string) (Claims, error) {
	k, err := kr.pick(token)
	if err != nil {
		return Claims{}, err
	}
	if k.macs != nil {
		if err := k.macs.checkSignature(token); err != nil {
			return Claims{}, err
		}
	}
	c := newParsedClaims()
	if _, err := k.parser.ParseWithClaims(token, &c, k.keyFunc); err != nil {
		return Claims{}, classify(err)
	}
	if c.Fid != "" && m.revoked.has(c.Fid) {
		return Claims{}, errInvalidRevoked
	}
	return c.claims(), nil
}

// classify maps a jwt error to ErrTokenExpired or a pre-wrapped
// ErrTokenInvalid. A bad signature never gets this far (checkSignature), nor
// would it reach claims validation in jwt: an expired token with a bad
// signature comes out invalid.
func classify(err error) error {
	if onlyExpired(err) {
		return ErrTokenExpired
	}
	for _, r := range invalidReasons {
		if errors.Is(err, r.cause) {
			return r.wrapped
		}
	}
	return errInvalidOther
}

// onlyExpired reports whether every leaf of err's tree is jwt's
// ErrTokenExpired, apart from the ErrTokenInvalidClaims label that jwt puts
// on every claims failure.
func onlyExpired(err error) bool {
	if !errors.Is(err, jwt.ErrTokenExpired) {
		return false
	}
	ok := true
	walkLeaves(err, func(leaf error) {
		if leaf != jwt.ErrTokenExpired && leaf != jwt.ErrTokenInvalidClaims {
			ok = false
		}
	})
	return ok
}

func walkLeaves(err error, visit func(error)) {
	switch e := err.(type) {
	case interface{ Unwrap() []error }:
		for _, child := range e.Unwrap() {
			walkLeaves(child, visit)
		}
	case interface{ Unwrap() error }:
		if child := e.Unwrap(); child != nil {
			walkLeaves(child, visit)
			return
		}
		visit(err)
	default:
		visit(err)
	}
}
