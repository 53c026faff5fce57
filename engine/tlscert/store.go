package tlscert

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Store holds the certificate the server presents.
type Store struct {
	certFile, keyFile string

	cur atomic.Pointer[tls.Certificate]

	mu   sync.Mutex // serialises reloads
	seen [2]fileStamp
}

// fileStamp identifies one version of a file without reading it.
type fileStamp struct {
	mod  time.Time
	size int64
	ino  uint64
}

// Load reads a PEM certificate chain and its private key.
func Load(certFile, keyFile string) (*Store, error) {
	s := &Store{certFile: certFile, keyFile: keyFile}
	if err := s.Reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// FromCertificate returns a Store that always presents c (Reload fails
// with ErrNoFiles).
func FromCertificate(c tls.Certificate) (*Store, error) {
	if err := fillLeaf(&c); err != nil {
		return nil, err
	}
	s := &Store{}
	s.cur.Store(&c)
	return s, nil
}

// Reload reads the files again and, if they hold a valid pair, presents it
// from the next handshake on. On error the current certificate stays.
func (s *Store) Reload() error {
	if s.certFile == "" {
		return ErrNoFiles
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = s.stamps()
	return s.reloadLocked()
}

func (s *Store) reloadLocked() error {
	c, err := tls.LoadX509KeyPair(s.certFile, s.keyFile)
	if err != nil {
		return fmt.Errorf("tlscert: %s, %s: %w", s.certFile, s.keyFile, err)
	}
	if err := fillLeaf(&c); err != nil {
		return err
	}
	s.cur.Store(&c)
	return nil
}

// ReloadIfChanged reloads when either file changed (modification time,
// size or inode) since the last look, and reports whether it did. A pair
// that fails to load is not tried again until a file changes again (a
// certificate and key written one after the other load on the second
// change).
func (s *Store) ReloadIfChanged() (bool, error) {
	if s.certFile == "" {
		return false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.stamps()
	if now == s.seen {
		return false, nil
	}
	s.seen = now
	if err := s.reloadLocked(); err != nil {
		return false, err
	}
	return true, nil
}

func (s *Store) stamps() [2]fileStamp {
	return [2]fileStamp{stampOf(s.certFile), stampOf(s.keyFile)}
}

func stampOf(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	st := fileStamp{mod: fi.ModTime(), size: fi.Size()}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.ino = sys.Ino
	}
	return st
}

// Certificate returns the certificate presented now.
func (s *Store) Certificate() *tls.Certificate { return s.cur.Load() }

// GetCertificate is tls.Config.GetCertificate: the certificate presented now.
func (s *Store) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return s.cur.Load(), nil
}

// Fingerprint is the SHA-256 fingerprint of the certificate presented now,
// as colon-separated hex (the form browsers and openssl show).
func (s *Store) Fingerprint() string { return Fingerprint(s.cur.Load().Leaf) }

// Fingerprint returns the SHA-256 fingerprint of c as colon-separated hex.
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	var b strings.Builder
	for i, v := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", v)
	}
	return b.String()
}

func fillLeaf(c *tls.Certificate) error {
	if c.Leaf != nil {
		return nil
	}
	if len(c.Certificate) == 0 {
		return fmt.Errorf("tlscert: empty certificate chain")
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		return fmt.Errorf("tlscert: %w", err)
	}
	c.Leaf = leaf
	return nil
}

// ServerConfig returns a tls.Config that presents s's certificate, with
// minVersion (tls.VersionTLS12 or tls.VersionTLS13), ALPN http/1.1 and
// session tickets on.
func ServerConfig(s *Store, minVersion uint16) *tls.Config {
	return &tls.Config{
		GetCertificate: s.GetCertificate,
		MinVersion:     minVersion,
		NextProtos:     []string{"http/1.1"},
	}
}

// ParseVersion turns "1.2" or "1.3" into a tls.Version constant.
func ParseVersion(v string) (uint16, error) {
	switch v {
	case "1.2":
		return tls.VersionTLS12, nil
	case "1.3":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("%w, got %q", ErrBadVersion, v)
}
