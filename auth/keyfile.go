package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
)

// maxKeyFile bounds a -jwt-keys file and every file it names.
const maxKeyFile = 1 << 20

// LoadKeySet reads a -jwt-keys file (see ParseKeySet); files it names are
// relative to its directory.
func LoadKeySet(path string) (*KeySet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeys, err)
	}
	defer f.Close()
	return ReadKeySet(f, filepath.Dir(path))
}

// ReadKeySet reads a key file from r; dir resolves relative "secret_file"
// and "pem_file" names. The file is JSON, a superset of a JWKS document
// (RFC 7517):
//
//	{"current": "k2",
//	 "keys": [
//	  {"kid": "k2",  "alg": "HS256", "secret_file": "k2.secret"},
//	  {"kid": "k1",  "alg": "HS256", "secret": "at least 32 bytes of secret ..."},
//	  {"kid": "idp", "alg": "RS256", "pem_file": "idp.pub.pem"},
//	  {"kty": "RSA", "kid": "idp2", "alg": "RS256", "n": "…", "e": "AQAB"},
//	  {"kty": "EC",  "kid": "idp3", "crv": "P-256", "x": "…", "y": "…"},
//	  {"kty": "OKP", "kid": "idp4", "crv": "Ed25519", "x": "…"},
//	  {"kty": "oct", "kid": "k0",  "alg": "HS256", "k": "base64url…"}]}
//
// Every key needs a unique kid and, except EC and Ed25519 keys (whose curve
// decides it), an "alg", to which it is pinned. A key is given by exactly
// one of: "secret"/"secret_file" (HMAC, the text with surrounding
// whitespace trimmed), "pem"/"pem_file" (one PEM block, see KeyFromPEM), or
// the JWK members of its "kty" (public keys only). Keys with "use":"enc"
// are skipped; other members are ignored. "current" names the key that
// signs new tokens; it must hold a secret or a private key. Without it the
// keys only verify. Errors wrap ErrKeys and never contain key material.
func ReadKeySet(r io.Reader, dir string) (*KeySet, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeys, err)
	}
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("%w: key file over %d bytes", ErrKeys, maxKeyFile)
	}
	var doc struct {
		Current string    `json:"current"`
		Keys    []keyJSON `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: not a JSON key file: %w", ErrKeys, jsonErr(err))
	}
	ks := &KeySet{Current: doc.Current}
	seen := make(map[string]bool)
	for i := range doc.Keys {
		kj := &doc.Keys[i]
		if kj.Use == "enc" {
			continue
		}
		if kj.Kid == "" || len(kj.Kid) > MaxUserIDLen {
			return nil, fmt.Errorf("%w: key %d: kid must be 1 to %d bytes", ErrKeys, i+1, MaxUserIDLen)
		}
		if seen[kj.Kid] {
			return nil, keyErr(kj.Kid, "kid listed twice")
		}
		seen[kj.Kid] = true
		k, err := kj.key(dir)
		if err != nil {
			return nil, err
		}
		ks.Keys = append(ks.Keys, k)
	}
	if err := ks.check(); err != nil {
		return nil, err
	}
	return ks, nil
}

// check validates a KeySet built by hand or read from a file.
func (ks *KeySet) check() error {
	if len(ks.Keys) == 0 {
		return fmt.Errorf("%w: no signature keys", ErrKeys)
	}
	if ks.Current == "" {
		return nil
	}
	for _, k := range ks.Keys {
		if k.ID == ks.Current {
			if !k.CanSign() {
				return keyErr(k.ID, "is current but holds no secret or private key")
			}
			return nil
		}
	}
	return fmt.Errorf("%w: current key %q is not listed", ErrKeys, ks.Current)
}

// jsonErr keeps a JSON error's position but not the input it quotes.
func jsonErr(err error) error {
	switch e := err.(type) {
	case *json.SyntaxError:
		return fmt.Errorf("syntax error at offset %d", e.Offset)
	case *json.UnmarshalTypeError:
		return fmt.Errorf("%s has the wrong type at offset %d", e.Field, e.Offset)
	}
	return fmt.Errorf("malformed")
}

// keyJSON is one entry of "keys".
type keyJSON struct {
	Kid        string `json:"kid"`
	Alg        string `json:"alg"`
	Use        string `json:"use"`
	Kty        string `json:"kty"`
	Secret     string `json:"secret"`
	SecretFile string `json:"secret_file"`
	PEM        string `json:"pem"`
	PEMFile    string `json:"pem_file"`
	K          string `json:"k"`
	N          string `json:"n"`
	E          string `json:"e"`
	Crv        string `json:"crv"`
	X          string `json:"x"`
	Y          string `json:"y"`
	D          string `json:"d"`
}

func (kj *keyJSON) key(dir string) (Key, error) {
	sources := 0
	for _, s := range []string{kj.Secret, kj.SecretFile, kj.PEM, kj.PEMFile, kj.Kty} {
		if s != "" {
			sources++
		}
	}
	if sources != 1 {
		return Key{}, keyErr(kj.Kid, `give exactly one of "secret", "secret_file", "pem", "pem_file" or a JWK "kty"`)
	}
	switch {
	case kj.Secret != "":
		return HMACKey(kj.Kid, kj.Alg, bytes.TrimSpace([]byte(kj.Secret)))
	case kj.SecretFile != "":
		b, err := readKeyFile(dir, kj.SecretFile, kj.Kid)
		if err != nil {
			return Key{}, err
		}
		return HMACKey(kj.Kid, kj.Alg, bytes.TrimSpace(b))
	case kj.PEM != "":
		return KeyFromPEM(kj.Kid, kj.Alg, []byte(kj.PEM))
	case kj.PEMFile != "":
		b, err := readKeyFile(dir, kj.PEMFile, kj.Kid)
		if err != nil {
			return Key{}, err
		}
		return KeyFromPEM(kj.Kid, kj.Alg, b)
	}
	return kj.jwk()
}

func readKeyFile(dir, name, kid string) ([]byte, error) {
	if !filepath.IsAbs(name) {
		name = filepath.Join(dir, name)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, keyErr(kid, "%v", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, keyErr(kid, "%v", err)
	}
	if len(b) > maxKeyFile {
		return nil, keyErr(kid, "%s is over %d bytes", name, maxKeyFile)
	}
	return b, nil
}

// jwk builds a key from JWK members (RFC 7518 §6).
func (kj *keyJSON) jwk() (Key, error) {
	if kj.D != "" {
		return Key{}, keyErr(kj.Kid, "private JWKs are not supported; give a private key as PEM")
	}
	switch kj.Kty {
	case "oct":
		secret, err := jwkB64(kj.K)
		if err != nil {
			return Key{}, keyErr(kj.Kid, "k: %v", err)
		}
		return HMACKey(kj.Kid, kj.Alg, secret)
	case "RSA":
		n, err1 := b64Int(kj.N)
		e, err2 := b64Int(kj.E)
		if err1 != nil || err2 != nil || !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 {
			return Key{}, keyErr(kj.Kid, "bad RSA n or e")
		}
		return asymmetricKey(kj.Kid, kj.Alg, &rsa.PublicKey{N: n, E: int(e.Int64())}, nil)
	case "EC":
		return kj.ecKey()
	case "OKP":
		x, err := jwkB64(kj.X)
		if kj.Crv != "Ed25519" || err != nil || len(x) != ed25519.PublicKeySize {
			return Key{}, keyErr(kj.Kid, "OKP keys must be Ed25519 with a 32-byte x")
		}
		return asymmetricKey(kj.Kid, orDefault(kj.Alg, "EdDSA"), ed25519.PublicKey(x), nil)
	}
	return Key{}, keyErr(kj.Kid, "unsupported kty %q", kj.Kty)
}

func (kj *keyJSON) ecKey() (Key, error) {
	var c elliptic.Curve
	switch kj.Crv {
	case "P-256":
		c = elliptic.P256()
	case "P-384":
		c = elliptic.P384()
	case "P-521":
		c = elliptic.P521()
	default:
		return Key{}, keyErr(kj.Kid, "unsupported EC curve %q", kj.Crv)
	}
	x, err1 := jwkB64(kj.X)
	y, err2 := jwkB64(kj.Y)
	size := (c.Params().BitSize + 7) / 8
	if err1 != nil || err2 != nil || len(x) != size || len(y) != size {
		return Key{}, keyErr(kj.Kid, "bad EC x or y")
	}
	// The uncompressed point form lets crypto/ecdh check the point is on
	// the curve; ecdsa.PublicKey itself checks nothing.
	point := append(append([]byte{4}, x...), y...)
	pub, err := ecdsa.ParseUncompressedPublicKey(c, point)
	if err != nil {
		return Key{}, keyErr(kj.Kid, "EC point not on %s", kj.Crv)
	}
	return asymmetricKey(kj.Kid, orDefault(kj.Alg, curveAlg(c)), pub, nil)
}

func jwkB64(s string) ([]byte, error) {
	if s == "" {
		return nil, fmt.Errorf("missing")
	}
	return base64.RawURLEncoding.DecodeString(s)
}

func b64Int(s string) (*big.Int, error) {
	b, err := jwkB64(s)
	if err != nil {
		return nil, err
	}
	return new(big.Int).SetBytes(b), nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
