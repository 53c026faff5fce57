package auth

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// ringKey is a Key made ready for use: its method, a parser pinned to its
// algorithm, and (HS256) the pool for the signature check made before any
// parsing. Immutable once built; shared by every goroutine.
type ringKey struct {
	Key
	method  jwt.SigningMethod
	parser  *jwt.Parser
	keyFunc jwt.Keyfunc
	macs    *macPool // HS256 only
}

// keyring is the set of keys in force. Replaced whole by SetKeys, never
// modified.
type keyring struct {
	byKID  map[string]*ringKey // tokens whose header has a kid
	noKID  *ringKey            // tokens without a kid; nil: refused
	signer *ringKey            // signs new tokens; nil: Issue fails
}

// newKeyring builds the keys in force from Config.Secret (which, when set,
// verifies tokens without a kid and signs when ks names no current key)
// and ks (may be nil). Without a secret, tokens without a kid verify only
// when ks holds exactly one key.
func newKeyring(secret []byte, ks *KeySet, opts []jwt.ParserOption) (*keyring, error) {
	kr := &keyring{byKID: make(map[string]*ringKey)}
	if len(secret) > 0 {
		k, err := HMACKey("", "HS256", secret)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		kr.noKID = prepareKey(k, opts)
		kr.signer = kr.noKID
	}
	if ks == nil {
		return kr, nil
	}
	if err := ks.check(); err != nil {
		return nil, err
	}
	for _, k := range ks.Keys {
		if _, dup := kr.byKID[k.ID]; dup || k.ID == "" {
			return nil, keyErr(k.ID, "kid empty or listed twice")
		}
		rk := prepareKey(k, opts)
		kr.byKID[k.ID] = rk
		if k.ID == ks.Current {
			kr.signer = rk
		}
	}
	if kr.noKID == nil && len(ks.Keys) == 1 {
		kr.noKID = kr.byKID[ks.Keys[0].ID]
	}
	return kr, nil
}

func prepareKey(k Key, opts []jwt.ParserOption) *ringKey {
	rk := &ringKey{Key: k, method: algorithms[k.Alg]}
	popts := append([]jwt.ParserOption{jwt.WithValidMethods([]string{k.Alg})}, opts...)
	rk.parser = jwt.NewParser(popts...)
	verify := k.verify // boxed once, so that the key function does not allocate
	rk.keyFunc = func(*jwt.Token) (any, error) { return verify, nil }
	if k.Alg == "HS256" {
		rk.macs = new(macPool)
		rk.macs.init(k.verify.([]byte))
	}
	return rk
}

// pick returns the key a token names, or a pre-wrapped ErrTokenInvalid.
func (kr *keyring) pick(token string) (*ringKey, error) {
	if len(kr.byKID) == 0 { // one secret, no kids: skip the header
		if kr.noKID == nil {
			return nil, errInvalidUnknownKey
		}
		return kr.noKID, nil
	}
	kid, err := headerKID(token)
	if err != nil {
		return nil, err
	}
	k := kr.noKID
	if kid != "" {
		k = kr.byKID[kid]
	}
	if k == nil {
		return nil, errInvalidUnknownKey
	}
	return k, nil
}

// maxHeaderLen bounds the encoded JOSE header that headerKID decodes.
const maxHeaderLen = 1 << 10

// headerKID returns the "kid" of a token's header ("" when absent). The
// signature is not checked yet: the kid only picks the key that must then
// verify it.
func headerKID(token string) (string, error) {
	dot := strings.IndexByte(token, '.')
	if dot < 0 || dot > maxHeaderLen {
		return "", errInvalidMalformed
	}
	raw, err := base64.RawURLEncoding.DecodeString(token[:dot])
	if err != nil {
		return "", errInvalidMalformed
	}
	// A struct, not a map: a third of the allocations. encoding/json
	// matches "kid" case-insensitively; harmless, since the kid only picks
	// the key that must then verify the signature.
	var h struct {
		Kid *string `json:"kid"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return "", errInvalidMalformed
	}
	if h.Kid == nil {
		return "", nil
	}
	return *h.Kid, nil
}
