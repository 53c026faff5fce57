package engine

import (
	"crypto/tls"
	"fmt"
	"runtime"
)

// TLSOptions configures the engine's wss:// listener. Its connections are
// served by the same event loops and the same Handler as the plain ones.
type TLSOptions struct {
	// Addr is the TLS listener's address (host:port).
	Addr string
	// Config supplies the certificate (Certificates, or GetCertificate for
	// a store that reloads it), MinVersion and the like. The engine serves
	// a clone of it: NextProtos defaults to "http/1.1", and dynamic record
	// sizing is off because the engine encrypts a whole batch of frames at
	// once and writes it with one system call. Session tickets stay as the
	// Config has them (on by default). The clone's KeyLogWriter is the
	// engine's: it takes the TLS 1.3 traffic secrets for the engine's own
	// record layer and passes every line on to Config.KeyLogWriter, if set.
	// A connection whose config GetConfigForClient returns keeps crypto/tls
	// for its life (about 4 KB more): that config logs its keys elsewhere.
	Config *tls.Config
	// HandshakeConcurrency caps the handshakes computing at once, each in
	// its own short-lived goroutine (default 4 per GOMAXPROCS). A handshake
	// waiting for the client's next flight does not hold a place.
	HandshakeConcurrency int
}

// tlsDefaults checks the TLS options and replaces them with a copy that
// has the defaults filled in.
func (o *Options) tlsDefaults() error {
	if o.TLS == nil {
		return nil
	}
	t := *o.TLS
	c := t.Config
	switch {
	case t.Addr == "":
		return fmt.Errorf("%w: TLS needs an address", ErrBadOptions)
	case c == nil || len(c.Certificates) == 0 && c.GetCertificate == nil && c.GetConfigForClient == nil:
		return fmt.Errorf("%w: TLS needs a certificate", ErrBadOptions)
	}
	t.Config = c.Clone()
	if len(t.Config.NextProtos) == 0 {
		t.Config.NextProtos = []string{"http/1.1"}
	}
	t.Config.DynamicRecordSizingDisabled = true
	if t.HandshakeConcurrency <= 0 {
		t.HandshakeConcurrency = 4 * runtime.GOMAXPROCS(0)
	}
	o.TLS = &t
	return nil
}
