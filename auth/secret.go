package auth

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// SecretFileName is the file LoadOrCreateSecret keeps in its data directory.
const SecretFileName = "jwt-secret"

// maxSecretFile bounds what ReadSecretFile reads.
const maxSecretFile = 64 << 10

// LoadOrCreateSecret returns the JWT secret kept in dataDir/jwt-secret,
// creating dataDir (mode 0700) and the file (mode 0600: 32 random bytes as
// 64 hex characters and a newline) when missing; created says which. The
// secret is the file's text with surrounding whitespace trimmed, as
// ReadSecretFile reads it. An existing file that group or others may read
// or write is refused. Creation is atomic: concurrent callers (several
// gateway processes on one data directory) all end up with the same
// secret. Errors wrap ErrSecret and never contain the secret.
func LoadOrCreateSecret(dataDir string) (secret []byte, path string, created bool, err error) {
	if dataDir == "" {
		return nil, "", false, fmt.Errorf("%w: empty data directory", ErrSecret)
	}
	path = filepath.Join(dataDir, SecretFileName)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, path, false, fmt.Errorf("%w: %w", ErrSecret, err)
	}
	secret, err = readPrivateSecret(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return secret, path, false, err
	}
	created, err = createSecretFile(dataDir, path)
	if err != nil {
		return nil, path, false, err
	}
	secret, err = readPrivateSecret(path)
	if err != nil {
		return nil, path, false, err
	}
	return secret, path, created, nil
}

// ReadSecretFile reads a secret from path: the file's text with
// surrounding whitespace trimmed, at least MinSecretLen bytes. It does not
// check the file's mode (LoadOrCreateSecret does). Errors wrap ErrSecret.
func ReadSecretFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSecret, err)
	}
	defer f.Close()
	return readSecret(f, path)
}

// readPrivateSecret is ReadSecretFile for a regular file that only its
// owner may access. A missing file gives an error matching fs.ErrNotExist.
func readPrivateSecret(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSecret, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSecret, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrSecret, path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o, want 0600 (run: chmod 600 %s)", ErrSecret, path, perm, path)
	}
	return readSecret(f, path)
}

func readSecret(r io.Reader, path string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxSecretFile+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSecret, err)
	}
	if len(b) > maxSecretFile {
		return nil, fmt.Errorf("%w: %s is over %d bytes", ErrSecret, path, maxSecretFile)
	}
	b = bytes.TrimSpace(b)
	if len(b) < MinSecretLen {
		return nil, fmt.Errorf("%w: %s holds %d bytes, want at least %d", ErrSecret, path, len(b), MinSecretLen)
	}
	return b, nil
}

// createSecretFile writes a new secret to a temporary file and links it to
// path, so that no reader ever sees a partial file. It returns false when
// another process linked its own first.
func createSecretFile(dir, path string) (bool, error) {
	tmp, err := os.CreateTemp(dir, ".jwt-secret-*") // mode 0600
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrSecret, err)
	}
	defer os.Remove(tmp.Name())
	if err := writeNewSecret(tmp); err != nil {
		return false, err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		return false, fmt.Errorf("%w: %w", ErrSecret, err)
	}
	syncDir(dir)
	return true, nil
}

func writeNewSecret(f *os.File) error {
	var raw [32]byte
	_, _ = rand.Read(raw[:]) // never fails since Go 1.24
	text := make([]byte, hex.EncodedLen(len(raw))+1)
	hex.Encode(text, raw[:])
	text[len(text)-1] = '\n'
	_, err := f.Write(text)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSecret, err)
	}
	return nil
}

// syncDir makes a new directory entry durable; failure only risks losing
// the file on power loss, and the next start makes a new one.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
