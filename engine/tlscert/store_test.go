package tlscert

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/imgate/gateway/internal/testutil"
)

// writePKI writes a new development PKI into dir and returns it.
func writePKI(t *testing.T, dir string) *DevPKI {
	t.Helper()
	p, err := NewDevPKI(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	return p
}

// fingerprintOf is the fingerprint of a PEM certificate.
func fingerprintOf(t *testing.T, certPEM, keyPEM []byte) string {
	t.Helper()
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return Fingerprint(c.Leaf)
}

func TestLoadReloadIfChanged(t *testing.T) {
	dir := t.TempDir()
	a := writePKI(t, dir)
	s, err := Load(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Fingerprint(), fingerprintOf(t, a.Cert, a.Key); got != want {
		t.Fatalf("fingerprint %s, want %s", got, want)
	}
	if changed, err := s.ReloadIfChanged(); changed || err != nil {
		t.Fatalf("unchanged files: changed %v, %v", changed, err)
	}
	b := writePKI(t, dir)
	if changed, err := s.ReloadIfChanged(); !changed || err != nil {
		t.Fatalf("new files: changed %v, %v", changed, err)
	}
	if got, want := s.Fingerprint(), fingerprintOf(t, b.Cert, b.Key); got != want {
		t.Fatalf("after reload %s, want %s", got, want)
	}
	// A key that does not match keeps the current certificate.
	c := writePKI(t, t.TempDir())
	// Renamed into place: a new inode, whatever the file system's clock.
	if err := writeAtomic(filepath.Join(dir, "key.pem"), c.Key, 0o600); err != nil {
		t.Fatal(err)
	}
	if changed, err := s.ReloadIfChanged(); changed || err == nil {
		t.Fatalf("mismatched key: changed %v, %v", changed, err)
	}
	if err := s.Reload(); err == nil {
		t.Fatal("Reload of a mismatched pair succeeded")
	}
	if got, want := s.Fingerprint(), fingerprintOf(t, b.Cert, b.Key); got != want {
		t.Fatal("a failed reload replaced the certificate")
	}
	// The matching certificate arrives: the pair loads.
	if err := writeAtomic(filepath.Join(dir, "cert.pem"), c.Cert, 0o644); err != nil {
		t.Fatal(err)
	}
	if changed, err := s.ReloadIfChanged(); !changed || err != nil {
		t.Fatalf("completed pair: changed %v, %v", changed, err)
	}
	if got, want := s.Fingerprint(), fingerprintOf(t, c.Cert, c.Key); got != want {
		t.Fatalf("fingerprint %s, want %s", got, want)
	}
}

func TestWatch(t *testing.T) {
	dir := t.TempDir()
	writePKI(t, dir)
	s, err := Load(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	reports := make(chan error, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Watch(ctx, 10*time.Millisecond, func(err error) { reports <- err })
	}()
	defer func() { cancel(); <-done }()
	b := writePKI(t, dir)
	want := fingerprintOf(t, b.Cert, b.Key)
	testutil.Eventually(t, 10*time.Second, func() error {
		if s.Fingerprint() != want {
			return errors.New("the watcher has not reloaded the new pair")
		}
		return nil
	})
	if err := <-reports; err != nil {
		t.Fatalf("report: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, cert, key string }{
		{"missing files", filepath.Join(dir, "nope.pem"), filepath.Join(dir, "nope.key")},
		{"not PEM", writeFile(t, dir, "junk.pem", "junk"), writeFile(t, dir, "junk.key", "junk")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Load(tc.cert, tc.key); err == nil {
				t.Fatal("Load succeeded")
			}
		})
	}
}

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSelfSigned(t *testing.T) {
	s, err := SelfSigned(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	leaf := s.Certificate().Leaf
	for _, h := range DefaultHosts {
		if err := leaf.VerifyHostname(h); err != nil {
			t.Errorf("host %s: %v", h, err)
		}
	}
	if !regexp.MustCompile(`^([0-9A-F]{2}:){31}[0-9A-F]{2}$`).MatchString(s.Fingerprint()) {
		t.Fatalf("fingerprint %q", s.Fingerprint())
	}
	if err := s.Reload(); !errors.Is(err, ErrNoFiles) {
		t.Fatalf("Reload: %v, want ErrNoFiles", err)
	}
	if changed, err := s.ReloadIfChanged(); changed || err != nil {
		t.Fatalf("ReloadIfChanged: %v, %v", changed, err)
	}
	if c, _ := s.GetCertificate(nil); c != s.Certificate() {
		t.Fatal("GetCertificate differs from Certificate")
	}
}

func TestDevPKIVerifies(t *testing.T) {
	p, err := NewDevPKI(time.Hour, "gw.example", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(p.CACert) {
		t.Fatal("bad CA PEM")
	}
	c, err := tls.X509KeyPair(p.Cert, p.Key)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"gw.example", "10.0.0.1"} {
		if _, err := c.Leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: h}); err != nil {
			t.Errorf("%s: %v", h, err)
		}
	}
	if _, err := c.Leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: "other.example"}); err == nil {
		t.Error("verified for a host it does not name")
	}
	dir := filepath.Join(t.TempDir(), "new")
	_, keyFile, err := p.WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", fi.Mode(), err)
	}
}

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint16
		err  bool
	}{
		{"1.2", tls.VersionTLS12, false},
		{"1.3", tls.VersionTLS13, false},
		{"1.1", 0, true},
		{"", 0, true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseVersion(tc.in)
			if got != tc.want || (err != nil) != tc.err {
				t.Fatalf("ParseVersion(%q) = %d, %v", tc.in, got, err)
			}
		})
	}
	cfg := ServerConfig(&Store{}, tls.VersionTLS13)
	if cfg.MinVersion != tls.VersionTLS13 || len(cfg.NextProtos) != 1 || cfg.NextProtos[0] != "http/1.1" || cfg.SessionTicketsDisabled {
		t.Fatalf("ServerConfig: %+v", cfg)
	}
}
