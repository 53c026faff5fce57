package engine

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/imgate/gateway/engine/tlscert"
)

// testPKI is one development CA and server certificate for the whole test
// binary (generating keys is slow under -race).
var testPKI = sync.OnceValues(func() (*tlscert.DevPKI, error) {
	return tlscert.NewDevPKI(time.Hour, "localhost", "127.0.0.1")
})

// serverTLS returns a server tls.Config presenting the test certificate.
func serverTLS(t testing.TB) *tls.Config {
	t.Helper()
	pki, err := testPKI()
	if err != nil {
		t.Fatalf("test PKI: %v", err)
	}
	cert, err := tls.X509KeyPair(pki.Cert, pki.Key)
	if err != nil {
		t.Fatalf("key pair: %v", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}

// clientTLS returns a client tls.Config that trusts the test CA and asks
// for http/1.1.
func clientTLS(t testing.TB) *tls.Config {
	t.Helper()
	pki, err := testPKI()
	if err != nil {
		t.Fatalf("test PKI: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pki.CACert) {
		t.Fatal("bad test CA")
	}
	return &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{"http/1.1"}}
}

// tlsTestOptions are testOptions with a TLS listener on 127.0.0.1:0.
func tlsTestOptions(t testing.TB) Options {
	o := testOptions()
	o.TLS = &TLSOptions{Addr: "127.0.0.1:0", Config: serverTLS(t)}
	return o
}

// startTLSServer starts a server with o (which must have TLS set), with
// the plain listener on plain ("" for none), stopped when the test ends.
func startTLSServer(t testing.TB, h Handler, o Options, plain string) *testServer {
	t.Helper()
	return serveOn(t, h, o, plain, (*Server).TLSAddr)
}

// dialTLS opens a TCP connection to addr, wraps it with wrap (when not
// nil), and completes a TLS handshake with cfg.
func dialTLS(t testing.TB, addr net.Addr, cfg *tls.Config, wrap func(net.Conn) net.Conn) *wsClient {
	t.Helper()
	c, err := tryDialTLS(addr, cfg, wrap)
	if err != nil {
		t.Fatalf("TLS dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &wsClient{t: t, nc: c, br: bufio.NewReaderSize(c, 64<<10)}
}

// tryDialTLS is dialTLS that returns its error.
func tryDialTLS(addr net.Addr, cfg *tls.Config, wrap func(net.Conn) net.Conn) (*tls.Conn, error) {
	return dialTLSWithin(addr, cfg, wrap, testWait)
}

// tryDialTLSWait is tryDialTLS allowing wait for the connect and handshake.
func tryDialTLSWait(addr net.Addr, cfg *tls.Config, wait time.Duration) (*tls.Conn, error) {
	return dialTLSWithin(addr, cfg, nil, wait)
}

func newReader(c net.Conn) *bufio.Reader { return bufio.NewReaderSize(c, 64<<10) }

func dialTLSWithin(addr net.Addr, cfg *tls.Config, wrap func(net.Conn) net.Conn, wait time.Duration) (*tls.Conn, error) {
	d := net.Dialer{Timeout: wait}
	nc, err := d.Dial("tcp", addr.String())
	if err != nil {
		return nil, err
	}
	_ = nc.(*net.TCPConn).SetNoDelay(true)
	var raw net.Conn = nc
	if wrap != nil {
		raw = wrap(nc)
	}
	tc := tls.Client(raw, cfg)
	_ = tc.SetDeadline(time.Now().Add(wait))
	if err := tc.Handshake(); err != nil {
		_ = nc.Close()
		return nil, err
	}
	_ = tc.SetDeadline(time.Time{})
	return tc, nil
}

// dialWSS dials, completes TLS, and upgrades with target and headers.
func dialWSS(t testing.TB, addr net.Addr, target string, headers ...string) *wsClient {
	t.Helper()
	c := dialTLS(t, addr, clientTLS(t), nil)
	c.send(c.request(target, headers...))
	c.expectUpgrade()
	return c
}

// bytewise is a net.Conn that sends every byte in its own write (one TCP
// segment each with TCP_NODELAY).
type bytewise struct{ net.Conn }

func (b bytewise) Write(p []byte) (int, error) {
	for i := range p {
		if _, err := b.Conn.Write(p[i : i+1]); err != nil {
			return i, err
		}
	}
	return len(p), nil
}

// tlsState returns the negotiated TLS state of a client from dialTLS.
func (c *wsClient) tlsState() tls.ConnectionState {
	return c.nc.(*tls.Conn).ConnectionState()
}
