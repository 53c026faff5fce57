package tlscert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// DefaultHosts are the names a generated certificate is valid for when
// none are given.
var DefaultHosts = []string{"localhost", "127.0.0.1", "::1"}

// SelfSigned returns a Store with a new in-memory ECDSA P-256 certificate,
// signed by its own key, for hosts (DNS names or IP addresses; default
// DefaultHosts), valid for validFor. For development: clients must skip
// verification or pin its Fingerprint.
func SelfSigned(validFor time.Duration, hosts ...string) (*Store, error) {
	tmpl, err := template(validFor, hosts)
	if err != nil {
		return nil, err
	}
	key, der, err := newCert(tmpl, tmpl, nil)
	if err != nil {
		return nil, err
	}
	return FromCertificate(tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key})
}

// newCert makes a P-256 key and the DER certificate of tmpl for it, signed
// by parent's key parentKey (nil: self-signed, parent is tmpl).
func newCert(tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("tlscert: %w", err)
	}
	if parentKey == nil {
		parentKey = key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, nil, fmt.Errorf("tlscert: %w", err)
	}
	return key, der, nil
}

// DevPKI is a development CA and a server certificate it signed, in PEM.
type DevPKI struct {
	CACert, Cert, Key []byte
}

// NewDevPKI creates a CA and a server certificate for hosts (default
// DefaultHosts) signed by it, both ECDSA P-256, valid for validFor.
func NewDevPKI(validFor time.Duration, hosts ...string) (*DevPKI, error) {
	caTmpl, err := template(validFor, nil)
	if err != nil {
		return nil, err
	}
	caTmpl.Subject = pkix.Name{CommonName: "imgate development CA"}
	caTmpl.IsCA, caTmpl.BasicConstraintsValid = true, true
	caTmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	caTmpl.ExtKeyUsage, caTmpl.DNSNames, caTmpl.IPAddresses = nil, nil, nil
	caKey, caDER, err := newCert(caTmpl, caTmpl, nil)
	if err != nil {
		return nil, err
	}
	tmpl, err := template(validFor, hosts)
	if err != nil {
		return nil, err
	}
	key, der, err := newCert(tmpl, caTmpl, caKey)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("tlscert: %w", err)
	}
	return &DevPKI{
		CACert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		Cert:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		Key:    pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

// WriteFiles writes ca.pem, cert.pem and key.pem (mode 0600) into dir,
// creating it, and returns the paths of the certificate and the key. Each
// file is written to a temporary name and renamed, so that a watching
// Store never reads half of one.
func (p *DevPKI) WriteFiles(dir string) (certFile, keyFile string, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("tlscert: %w", err)
	}
	for _, f := range []struct {
		name string
		data []byte
		mode os.FileMode
	}{{"ca.pem", p.CACert, 0o644}, {"key.pem", p.Key, 0o600}, {"cert.pem", p.Cert, 0o644}} {
		if err := writeAtomic(filepath.Join(dir, f.name), f.data, f.mode); err != nil {
			return "", "", err
		}
	}
	return filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), nil
}

func writeAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tlscert-*")
	if err != nil {
		return fmt.Errorf("tlscert: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("tlscert: %w", err)
	}
	if err := tmp.Chmod(mode); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("tlscert: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("tlscert: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("tlscert: %w", err)
	}
	return nil
}

// template is a server certificate template for hosts.
func template(validFor time.Duration, hosts []string) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("tlscert: %w", err)
	}
	if len(hosts) == 0 {
		hosts = DefaultHosts
	}
	now := time.Now()
	t := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: hosts[0]},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(validFor),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			t.IPAddresses = append(t.IPAddresses, ip)
		} else {
			t.DNSNames = append(t.DNSNames, h)
		}
	}
	return t, nil
}
