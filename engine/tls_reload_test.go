package engine

import (
	"crypto/tls"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/imgate/gateway/engine/tlscert"
)

// TestTLSCertificateReload swaps the certificate files under a running
// server: new handshakes present the new certificate, and a connection
// opened before keeps working.
func TestTLSCertificateReload(t *testing.T) {
	dir := t.TempDir()
	newPair := func() string {
		p, err := tlscert.NewDevPKI(time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := p.WriteFiles(dir); err != nil {
			t.Fatal(err)
		}
		c, err := tls.X509KeyPair(p.Cert, p.Key)
		if err != nil {
			t.Fatal(err)
		}
		return tlscert.Fingerprint(c.Leaf)
	}
	first := newPair()
	store, err := tlscert.Load(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	o := testOptions()
	o.TLS = &TLSOptions{Addr: "127.0.0.1:0", Config: tlscert.ServerConfig(store, tls.VersionTLS12)}
	srv := startTLSServer(t, newRecorder(true), o, "")
	presented := func() (*wsClient, string) {
		cfg := &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the test checks the fingerprint itself
		c := dialTLS(t, srv.TLSAddr(), cfg, nil)
		return c, tlscert.Fingerprint(c.tlsState().PeerCertificates[0])
	}
	old, got := presented()
	if got != first {
		t.Fatalf("presented %s, want %s", got, first)
	}
	old.send(old.request("/"))
	old.expectUpgrade()

	for i, reload := range []func() error{
		store.Reload, // what SIGHUP does
		func() error { // what the file watcher does
			if changed, err := store.ReloadIfChanged(); !changed || err != nil {
				return fmt.Errorf("ReloadIfChanged: %v, %v", changed, err)
			}
			return nil
		},
	} {
		want := newPair()
		if err := reload(); err != nil {
			t.Fatalf("reload %d: %v", i, err)
		}
		if _, got := presented(); got != want {
			t.Fatalf("reload %d: presented %s, want %s", i, got, want)
		}
		old.send(msg(OpText, []byte("still open")))
		old.expectMessage(OpText, []byte("still open"))
	}
}
