package auth

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// Key is one JWT key with its identifier and its pinned algorithm: a token
// whose header names this key's kid verifies only with this algorithm.
// Build one with HMACKey or KeyFromPEM, or read a KeySet.
type Key struct {
	ID  string // "kid"; empty only for Config.Secret's key
	Alg string // "HS256", "RS256", "ES256", "EdDSA", …

	verify any // []byte, *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
	sign   any // []byte or a crypto.Signer; nil: verification only
}

// CanSign reports whether k holds a secret or private key.
func (k Key) CanSign() bool { return k.sign != nil }

// KeySet is the content of a -jwt-keys file: keys by kid and the kid of the
// one that signs new tokens (Current, empty when the gateway only verifies
// with these keys).
type KeySet struct {
	Keys    []Key
	Current string
}

// algorithms maps every algorithm a key may be pinned to onto its method.
var algorithms = map[string]jwt.SigningMethod{
	"HS256": jwt.SigningMethodHS256, "HS384": jwt.SigningMethodHS384, "HS512": jwt.SigningMethodHS512,
	"RS256": jwt.SigningMethodRS256, "RS384": jwt.SigningMethodRS384, "RS512": jwt.SigningMethodRS512,
	"PS256": jwt.SigningMethodPS256, "PS384": jwt.SigningMethodPS384, "PS512": jwt.SigningMethodPS512,
	"ES256": jwt.SigningMethodES256, "ES384": jwt.SigningMethodES384, "ES512": jwt.SigningMethodES512,
	"EdDSA": jwt.SigningMethodEdDSA,
}

// hmacMinLen is the shortest secret for each HMAC algorithm (RFC 7518
// §3.2: at least the hash's size; HS256 keeps MinSecretLen).
var hmacMinLen = map[string]int{"HS256": MinSecretLen, "HS384": 48, "HS512": 64}

// minRSABits is the smallest RSA modulus accepted.
const minRSABits = 2048

// HMACKey returns an HMAC key (alg HS256, HS384 or HS512) with the given
// kid. The secret is copied. Errors wrap ErrKeys and never contain the
// secret.
func HMACKey(kid, alg string, secret []byte) (Key, error) {
	n, ok := hmacMinLen[alg]
	if !ok {
		return Key{}, keyErr(kid, "algorithm %q is not HMAC", alg)
	}
	if len(secret) < n {
		return Key{}, keyErr(kid, "%s secret is %d bytes, want at least %d", alg, len(secret), n)
	}
	s := bytes.Clone(secret)
	return Key{ID: kid, Alg: alg, verify: s, sign: s}, nil
}

// KeyFromPEM returns a key from one PEM block: a public key ("PUBLIC KEY",
// "RSA PUBLIC KEY"), a certificate (its public key), or a private key
// ("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"), which can also sign.
// alg must suit the key: RS*/PS* for RSA (2048 bits or more), ES256/384/512
// for P-256/384/521, EdDSA for Ed25519. Errors wrap ErrKeys.
func KeyFromPEM(kid, alg string, data []byte) (Key, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return Key{}, keyErr(kid, "no PEM block")
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return Key{}, keyErr(kid, "more than one PEM block")
	}
	pub, priv, err := parsePEMBlock(block)
	if err != nil {
		return Key{}, keyErr(kid, "%v", err)
	}
	return asymmetricKey(kid, alg, pub, priv)
}

func parsePEMBlock(b *pem.Block) (pub crypto.PublicKey, priv crypto.Signer, err error) {
	switch b.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(b.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(b.Bytes)
	case "CERTIFICATE":
		var c *x509.Certificate
		if c, err = x509.ParseCertificate(b.Bytes); err == nil {
			pub = c.PublicKey
		}
	case "PRIVATE KEY":
		var k any
		if k, err = x509.ParsePKCS8PrivateKey(b.Bytes); err == nil {
			priv, _ = k.(crypto.Signer)
		}
	case "RSA PRIVATE KEY":
		priv, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		priv, err = x509.ParseECPrivateKey(b.Bytes)
	default:
		return nil, nil, fmt.Errorf("unsupported PEM block %q", b.Type)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("bad %s: %w", b.Type, err)
	}
	if priv != nil {
		pub = priv.Public()
	}
	return pub, priv, nil
}

// asymmetricKey checks that pub suits alg and builds the Key.
func asymmetricKey(kid, alg string, pub crypto.PublicKey, priv crypto.Signer) (Key, error) {
	if _, ok := algorithms[alg]; !ok || hmacMinLen[alg] != 0 {
		return Key{}, keyErr(kid, "algorithm %q does not fit a public key", alg)
	}
	if err := checkKeyFitsAlg(alg, pub); err != nil {
		return Key{}, keyErr(kid, "%v", err)
	}
	k := Key{ID: kid, Alg: alg, verify: pub}
	if priv != nil {
		k.sign = priv
	}
	return k, nil
}

func checkKeyFitsAlg(alg string, pub crypto.PublicKey) error {
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if alg[0] != 'R' && alg[0] != 'P' {
			return fmt.Errorf("RSA key pinned to %s", alg)
		}
		if p.N.BitLen() < minRSABits {
			return fmt.Errorf("RSA key of %d bits, want at least %d", p.N.BitLen(), minRSABits)
		}
	case *ecdsa.PublicKey:
		if want := curveAlg(p.Curve); want != alg {
			return fmt.Errorf("ECDSA key on %s pinned to %s (want %s)", p.Curve.Params().Name, alg, want)
		}
	case ed25519.PublicKey:
		if alg != "EdDSA" {
			return fmt.Errorf("Ed25519 key pinned to %s (want EdDSA)", alg)
		}
	default:
		return fmt.Errorf("unsupported public key type %T", pub)
	}
	return nil
}

// curveAlg is the one algorithm an ECDSA curve signs with.
func curveAlg(c elliptic.Curve) string {
	switch c {
	case elliptic.P256():
		return "ES256"
	case elliptic.P384():
		return "ES384"
	case elliptic.P521():
		return "ES512"
	}
	return "unsupported curve"
}

// keyErr wraps ErrKeys with the key's kid and a reason.
func keyErr(kid, format string, args ...any) error {
	return fmt.Errorf("%w: key %q: %s", ErrKeys, kid, fmt.Sprintf(format, args...))
}
