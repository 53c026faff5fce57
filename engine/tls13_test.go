package engine

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imgate/gateway/internal/testutil"
)

// echoThrough upgrades c and echoes frames that fit a record, span several
// records, and span several write batches, then closes normally.
func echoThrough(t *testing.T, c *wsClient) {
	t.Helper()
	c.send(c.request("/?device_id=tls13"))
	c.expectUpgrade()
	for _, n := range []int{0, 1, 125, 16 << 10, 20000, 60000} {
		p := asciiPayload(n)
		c.send(msg(OpBinary, p))
		c.expectMessage(OpBinary, p)
	}
	// Frames queued together: write batches of several records.
	var burst []byte
	for i := range 6 {
		burst = append(burst, msg(OpText, asciiPayload(30000+i))...)
	}
	c.send(burst)
	for i := range 6 {
		c.expectMessage(OpText, asciiPayload(30000+i))
	}
}

// TestTLS13OwnRecords runs TLS 1.3 connections on the engine's record
// layer in every way the server's first flight can end: a session ticket
// under the application key (one record to count), no ticket, a resumed
// session, and a ticket sent only after the client's Finished (client
// certificates requested). A wrong write sequence number makes the client
// fail to decrypt the first echo.
func TestTLS13OwnRecords(t *testing.T) {
	for _, tc := range []struct {
		name   string
		server func(*tls.Config)
		dials  int
		resume bool
	}{
		{name: "ticket in the first flight", dials: 1},
		{name: "tickets disabled", dials: 1, server: func(c *tls.Config) { c.SessionTicketsDisabled = true }},
		{name: "resumed", dials: 3, resume: true},
		{name: "ticket after the client's Finished", dials: 2, resume: true,
			server: func(c *tls.Config) { c.ClientAuth = tls.RequestClientCert }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tlsTestOptions(t)
			if tc.server != nil {
				tc.server(o.TLS.Config)
			}
			rec := newRecorder(true)
			srv := startTLSServer(t, rec, o, "")
			cfg := clientTLS(t)
			cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
			for i := range tc.dials {
				c := dialTLS(t, srv.TLSAddr(), cfg, nil)
				if v := c.tlsState().Version; v != tls.VersionTLS13 {
					t.Fatalf("version %x", v)
				}
				echoThrough(t, c)
				if want := tc.resume && i > 0; c.tlsState().DidResume != want {
					t.Fatalf("dial %d: DidResume %v, want %v", i, !want, want)
				}
				c.send(closeMsg(CloseNormal, ""))
				c.expectClose(CloseNormal)
				c.expectEOF()
			}
			if n := srv.Stats().TLSOwnRecords.Load(); n != int64(tc.dials) {
				t.Fatalf("TLSOwnRecords %d, want %d", n, tc.dials)
			}
			if tc.resume {
				if n := srv.Stats().TLSResumed.Load(); n != int64(tc.dials-1) {
					t.Fatalf("TLSResumed %d, want %d", n, tc.dials-1)
				}
			}
			testutil.Eventually(t, testWait, statsZero(srv.Server))
		})
	}
}

// TestTLS12KeepsCryptoTLS: a TLS 1.2 client takes the fallback, crypto/tls
// on the loop, and works as before.
func TestTLS12KeepsCryptoTLS(t *testing.T) {
	srv := startTLSServer(t, newRecorder(true), tlsTestOptions(t), "")
	cfg := clientTLS(t)
	cfg.MaxVersion = tls.VersionTLS12
	c := dialTLS(t, srv.TLSAddr(), cfg, nil)
	echoThrough(t, c)
	c.send(closeMsg(CloseNormal, ""))
	c.expectClose(CloseNormal)
	c.expectEOF()
	if n := srv.Stats().TLSOwnRecords.Load(); n != 0 {
		t.Fatalf("TLSOwnRecords %d, want 0 for TLS 1.2", n)
	}
}

// holdFinished holds the client's second flight (its Finished) back and
// sends it with the next write, so that the Finished and the first
// application record reach the server in one segment.
type holdFinished struct {
	net.Conn
	writes int
	held   []byte
}

func (h *holdFinished) Write(p []byte) (int, error) {
	h.writes++
	switch h.writes {
	case 1: // ClientHello
		return h.Conn.Write(p)
	case 2: // CCS and Finished
		h.held = append([]byte(nil), p...)
		return len(p), nil
	default:
		if h.held != nil {
			p, h.held = append(h.held, p...), nil
			_, err := h.Conn.Write(p)
			return len(p) - len(h.held), err
		}
		return h.Conn.Write(p)
	}
}

// TestTLS13FinishedAndDataTogether: crypto/tls reads nothing past the
// client's Finished, so the record that follows it in the same segment is
// the record layer's first, at sequence number 0.
func TestTLS13FinishedAndDataTogether(t *testing.T) {
	srv := startTLSServer(t, newRecorder(true), tlsTestOptions(t), "")
	var w *holdFinished
	c := dialTLS(t, srv.TLSAddr(), clientTLS(t), func(nc net.Conn) net.Conn {
		w = &holdFinished{Conn: nc}
		return w
	})
	echoThrough(t, c)
	if w.writes < 3 {
		t.Fatalf("%d writes", w.writes)
	}
	if n := srv.Stats().TLSOwnRecords.Load(); n != 1 {
		t.Fatalf("TLSOwnRecords %d, want 1", n)
	}
}

// tamper flips a bit in the ciphertext of the next record written once
// armed.
type tamper struct {
	net.Conn
	mu    sync.Mutex
	armed bool
}

func (w *tamper) Write(p []byte) (int, error) {
	w.mu.Lock()
	if w.armed && len(p) > recordHeaderLen+1 {
		p = append([]byte(nil), p...)
		p[recordHeaderLen+1] ^= 0x40
		w.armed = false
	}
	w.mu.Unlock()
	return w.Conn.Write(p)
}

// TestTLS13TamperedRecord: a record that does not authenticate gets a
// bad_record_mac alert, and the connection closes.
func TestTLS13TamperedRecord(t *testing.T) {
	rec := newRecorder(true)
	srv := startTLSServer(t, rec, tlsTestOptions(t), "")
	var w *tamper
	c := dialTLS(t, srv.TLSAddr(), clientTLS(t), func(nc net.Conn) net.Conn {
		w = &tamper{Conn: nc}
		return w
	})
	c.send(c.request("/"))
	c.expectUpgrade()
	sc, _ := rec.nextOpen(t)
	w.mu.Lock()
	w.armed = true
	w.mu.Unlock()
	c.trySend(msg(OpText, []byte("tampered")))
	_, err := c.readFrame()
	if err == nil || !strings.Contains(err.Error(), "bad record MAC") {
		t.Fatalf("read after a tampered record: %v, want the server's bad_record_mac alert", err)
	}
	rec.waitClose(t, sc)
	if n := srv.Stats().TLSOwnRecords.Load(); n != 1 {
		t.Fatalf("TLSOwnRecords %d, want 1", n)
	}
}

// TestTLS13ClientCloseNotify: the client's close_notify closes the
// connection at once.
func TestTLS13ClientCloseNotify(t *testing.T) {
	rec := newRecorder(true)
	srv := startTLSServer(t, rec, tlsTestOptions(t), "")
	c := dialTLS(t, srv.TLSAddr(), clientTLS(t), nil)
	c.send(c.request("/"))
	c.expectUpgrade()
	sc, _ := rec.nextOpen(t)
	c.send(msg(OpText, []byte("one")))
	c.expectMessage(OpText, []byte("one"))
	if err := c.nc.(*tls.Conn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	rec.waitClose(t, sc)
	c.expectEOF()
	testutil.Eventually(t, testWait, statsZero(srv.Server))
}

// keyLogLines is a user's KeyLogWriter.
type keyLogLines struct {
	mu    sync.Mutex
	lines []string
}

func (k *keyLogLines) Write(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.lines = append(k.lines, string(p))
	return len(p), nil
}

func (k *keyLogLines) count(label string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := 0
	for _, l := range k.lines {
		if strings.HasPrefix(l, label+" ") {
			n++
		}
	}
	return n
}

// TestTLS13UserKeyLogAndConfigForClient: a user's KeyLogWriter still gets
// every line, and a user's GetConfigForClient still picks the config (its
// connections keep crypto/tls: the engine does not see their keys).
func TestTLS13UserKeyLogAndConfigForClient(t *testing.T) {
	t.Run("KeyLogWriter", func(t *testing.T) {
		o := tlsTestOptions(t)
		kl := &keyLogLines{}
		o.TLS.Config.KeyLogWriter = kl
		srv := startTLSServer(t, newRecorder(true), o, "")
		echoThrough(t, dialTLS(t, srv.TLSAddr(), clientTLS(t), nil))
		if n := kl.count(labelServerTraffic); n != 1 {
			t.Fatalf("%d %s lines, want 1", n, labelServerTraffic)
		}
		if n := srv.Stats().TLSOwnRecords.Load(); n != 1 {
			t.Fatalf("TLSOwnRecords %d, want 1", n)
		}
	})
	t.Run("GetConfigForClient", func(t *testing.T) {
		o := tlsTestOptions(t)
		inner := o.TLS.Config.Clone()
		var asked sync.WaitGroup
		asked.Add(1)
		o.TLS.Config.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
			asked.Done()
			return inner, nil
		}
		srv := startTLSServer(t, newRecorder(true), o, "")
		echoThrough(t, dialTLS(t, srv.TLSAddr(), clientTLS(t), nil))
		asked.Wait()
		if n := srv.Stats().TLSOwnRecords.Load(); n != 0 {
			t.Fatalf("TLSOwnRecords %d, want 0", n)
		}
	})
}

// sevens is a Rand that always reads 7s: every ClientHello gets the same
// random.
type sevens struct{}

func (sevens) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 7
	}
	return len(p), nil
}

// gate is a client connection whose second write (the second ClientHello
// after a HelloRetryRequest, or the Finished) waits until release is
// closed; reached is closed when it starts waiting.
type gate struct {
	net.Conn
	writes           int
	reached, release chan struct{}
}

func newGate(nc net.Conn) *gate {
	return &gate{Conn: nc, reached: make(chan struct{}), release: make(chan struct{})}
}

func (g *gate) Write(p []byte) (int, error) {
	if g.writes++; g.writes == 2 {
		close(g.reached)
		<-g.release
	}
	return g.Conn.Write(p)
}

// TestTLS13SharedRandom: two handshakes in flight with the same client
// random (a replayed random) must not get each other's keys. A's hello
// gets a HelloRetryRequest (the server wants P-256, for which Go's client
// sends no key share) and A waits; B's handshake runs to its Finished and
// waits; then A's second hello makes the server log A's secrets, with B
// still registered under the same random. Routed to B, they would replace
// B's and break B's records. Both must keep crypto/tls and work.
func TestTLS13SharedRandom(t *testing.T) {
	o := tlsTestOptions(t)
	o.TLS.Config.CurvePreferences = []tls.CurveID{tls.CurveP256}
	srv := startTLSServer(t, newRecorder(true), o, "")
	cfg := clientTLS(t)
	cfg.Rand = sevens{}
	ga, gb := make(chan *gate, 1), make(chan *gate, 1)
	conns := make(chan error, 2)
	var a, b *tls.Conn
	go func() {
		var err error
		a, err = tryDialTLS(srv.TLSAddr(), cfg.Clone(), func(nc net.Conn) net.Conn { g := newGate(nc); ga <- g; return g })
		conns <- err
	}()
	gA := testutil.WaitChan(t, ga, "A's connection")
	testutil.WaitChan(t, gA.reached, "A's second ClientHello")
	go func() {
		var err error
		b, err = tryDialTLS(srv.TLSAddr(), cfg.Clone(), func(nc net.Conn) net.Conn { g := newGate(nc); gb <- g; return g })
		conns <- err
	}()
	gB := testutil.WaitChan(t, gb, "B's connection")
	testutil.WaitChan(t, gB.reached, "B's Finished") // the server has logged B's secrets
	close(gA.release)
	if err := testutil.WaitChan(t, conns, "A's handshake"); err != nil {
		t.Fatalf("A: %v", err)
	}
	close(gB.release)
	if err := testutil.WaitChan(t, conns, "B's handshake"); err != nil {
		t.Fatalf("B: %v", err)
	}
	defer func() { _ = a.Close(); _ = b.Close() }()
	if id := a.ConnectionState().CurveID; id != tls.CurveP256 {
		t.Fatalf("A's key exchange %v, want P-256 after a HelloRetryRequest", id)
	}
	for name, tc := range map[string]*tls.Conn{"A": a, "B": b} {
		if err := echoOn(tc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if n := srv.Stats().TLSOwnRecords.Load(); n != 0 {
		t.Fatalf("TLSOwnRecords %d, want 0: a shared random must keep crypto/tls", n)
	}
}

// echoOn upgrades tc and echoes one message. Any goroutine.
func echoOn(tc *tls.Conn) error {
	_ = tc.SetDeadline(time.Now().Add(testWait))
	p := []byte("echo")
	if _, err := tc.Write(cat(upgradeHead("/", "dGhlIHNhbXBsZSBub25jZQ=="), msg(OpText, p))); err != nil {
		return err
	}
	br := newReader(tc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	f, err := readServerFrame(br)
	if err != nil {
		return err
	}
	if f.op != OpText || !bytes.Equal(f.payload, p) {
		return fmt.Errorf("echo op %d %q", f.op, f.payload)
	}
	return nil
}

// TestTLS13BadRecords: records the record layer refuses, each answered
// with the alert crypto/tls would send (RFC 8446 §5, §6.2) before the
// connection closes.
func TestTLS13BadRecords(t *testing.T) {
	for _, tc := range []struct {
		name   string
		record []byte
		alert  string
	}{
		{name: "change_cipher_spec after the Finished", record: []byte{recordTypeCCS, 3, 3, 0, 1, 1}, alert: "unexpected message"},
		{name: "plaintext handshake", record: []byte{recordTypeHandshake, 3, 3, 0, 5, typeKeyUpdate, 0, 0, 1, 0}, alert: "unexpected message"},
		{name: "record too long", record: []byte{recordTypeAppData, 3, 3, (maxCiphertext13 + 1) >> 8, (maxCiphertext13 + 1) & 0xFF}, alert: "record overflow"},
		{name: "legacy version", record: []byte{recordTypeAppData, 3, 1, 0, 17}, alert: "protocol version not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder(true)
			srv := startTLSServer(t, rec, tlsTestOptions(t), "")
			var raw net.Conn
			c := dialTLS(t, srv.TLSAddr(), clientTLS(t), func(nc net.Conn) net.Conn { raw = nc; return nc })
			c.send(c.request("/"))
			c.expectUpgrade()
			sc, _ := rec.nextOpen(t)
			if _, err := raw.Write(tc.record); err != nil {
				t.Fatal(err)
			}
			_, err := c.readFrame()
			if err == nil || !strings.Contains(err.Error(), tc.alert) {
				t.Fatalf("read after the record: %v, want the server's %q alert", err, tc.alert)
			}
			rec.waitClose(t, sc)
		})
	}
}
