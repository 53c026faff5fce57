package engine

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/imgate/gateway/internal/testutil"
)

func TestTLSUpgradeTokenEchoClose(t *testing.T) {
	for _, tc := range []struct {
		name    string
		target  string
		headers []string
		source  TokenSource
	}{
		{name: "query", target: "/?token=tq&device_id=d1&platform=web", source: TokenQuery},
		{name: "header", target: "/", headers: []string{"Authorization: Bearer th"}, source: TokenHeader},
		{name: "subprotocol", target: "/", headers: []string{"Sec-WebSocket-Protocol: bearer.tp, gateway.v1"}, source: TokenSubprotocol},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder(true)
			srv := startTLSServer(t, rec, tlsTestOptions(t), "")
			c := dialTLS(t, srv.TLSAddr(), clientTLS(t), nil)
			if st := c.tlsState(); st.NegotiatedProtocol != "http/1.1" {
				t.Fatalf("ALPN %q, want http/1.1", st.NegotiatedProtocol)
			}
			c.send(c.request(tc.target, tc.headers...))
			c.expectUpgrade()
			sc, req := rec.nextOpen(t)
			if req.TokenSource != tc.source || req.Token == "" {
				t.Fatalf("token %q from %v, want one from %v", req.Token, req.TokenSource, tc.source)
			}
			for _, n := range []int{0, 1, 125, 126, 20000, 60000} {
				p := asciiPayload(n)
				c.send(msg(OpText, p))
				c.expectMessage(OpText, p)
			}
			c.send(closeMsg(CloseNormal, "bye"))
			c.expectClose(CloseNormal)
			c.expectEOF()
			if code := rec.waitClose(t, sc); code != CloseNormal {
				t.Fatalf("OnClose code %d, want 1000", code)
			}
			if n := srv.Stats().TLSHandshakes.Load(); n != 1 {
				t.Fatalf("TLSHandshakes %d, want 1", n)
			}
			testutil.Eventually(t, testWait, statsZero(srv.Server))
		})
	}
}

// TestTLSOneBytePerSegment sends every byte the client writes (ClientHello,
// Finished, request head, frames, close) in its own TCP segment.
func TestTLSOneBytePerSegment(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			rec := newRecorder(true)
			srv := startTLSServer(t, rec, tlsTestOptions(t), "")
			cfg := clientTLS(t)
			cfg.MaxVersion = v
			c := dialTLS(t, srv.TLSAddr(), cfg, func(nc net.Conn) net.Conn { return bytewise{nc} })
			c.send(c.request("/?device_id=bytes"))
			c.expectUpgrade()
			c.send(cat(frag(false, OpText, []byte("frag")), frag(true, OpContinuation, []byte("mented"))))
			c.expectMessage(OpText, []byte("fragmented"))
			p := asciiPayload(3000)
			c.send(msg(OpBinary, p))
			c.expectMessage(OpBinary, p)
			c.send(closeMsg(CloseGoingAway, ""))
			c.expectClose(CloseGoingAway)
			c.expectEOF()
		})
	}
}

func TestTLSAndPlainOnOneEngine(t *testing.T) {
	for _, tc := range []struct {
		name, plain, tls string
	}{
		{name: "same address string", plain: "127.0.0.1:0", tls: "127.0.0.1:0"},
		{name: "different hosts", plain: "127.0.0.1:0", tls: "127.0.0.2:0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder(true)
			o := tlsTestOptions(t)
			o.TLS.Addr = tc.tls
			srv := startTLSServer(t, rec, o, tc.plain)
			if srv.Addr() == nil || srv.Addr().String() == srv.TLSAddr().String() {
				t.Fatalf("addresses %v and %v", srv.Addr(), srv.TLSAddr())
			}
			for i := range 3 { // both kinds, interleaved, on both loops
				p := dialWS(t, srv.Addr(), fmt.Sprintf("/?device_id=plain%d", i))
				s := dialWSS(t, srv.TLSAddr(), fmt.Sprintf("/?device_id=tls%d", i))
				p.send(msg(OpText, []byte("plain")))
				s.send(msg(OpText, []byte("secure")))
				p.expectMessage(OpText, []byte("plain"))
				s.expectMessage(OpText, []byte("secure"))
			}
			// A plain request on the TLS port is not a ClientHello.
			raw := dialRaw(t, srv.TLSAddr())
			raw.send(raw.request("/"))
			raw.expectEOF()
			if n := srv.Stats().TLSHandshakes.Load(); n != 3 {
				t.Fatalf("TLSHandshakes %d, want 3", n)
			}
		})
	}
}

func TestTLSResumption(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			srv := startTLSServer(t, newRecorder(true), tlsTestOptions(t), "")
			cfg := clientTLS(t)
			cfg.MaxVersion = v
			cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
			for i, want := range []bool{false, true, true} {
				c := dialTLS(t, srv.TLSAddr(), cfg, nil)
				c.send(c.request("/"))
				c.expectUpgrade() // reading also takes a TLS 1.3 ticket in
				c.send(msg(OpText, []byte("x")))
				c.expectMessage(OpText, []byte("x"))
				if got := c.tlsState().DidResume; got != want {
					t.Fatalf("connection %d: DidResume %v, want %v", i, got, want)
				}
				_ = c.nc.Close()
			}
			if n := srv.Stats().TLSResumed.Load(); n != 2 {
				t.Fatalf("TLSResumed %d, want 2", n)
			}
		})
	}
}

// TestTLSRefusalsAndCloseCodes checks that the HTTP refusals and close codes
// of the plain path come through TLS unchanged.
func TestTLSRefusalsAndCloseCodes(t *testing.T) {
	srv := startTLSServer(t, newRecorder(true), tlsTestOptions(t), "")
	t.Run("bad upgrade request", func(t *testing.T) {
		c := dialTLS(t, srv.TLSAddr(), clientTLS(t), nil)
		c.send([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		c.expectStatus(400)
	})
	t.Run("unmasked frame", func(t *testing.T) {
		c := dialWSS(t, srv.TLSAddr(), "/")
		c.send(cframe{fin: true, op: OpText, noMask: true, payload: []byte("x")}.bytes())
		c.closeHandshake(CloseProtocolError)
	})
	t.Run("invalid UTF-8", func(t *testing.T) {
		c := dialWSS(t, srv.TLSAddr(), "/")
		c.send(msg(OpText, []byte{0xff}))
		c.closeHandshake(CloseInvalidData)
	})
	t.Run("too big", func(t *testing.T) {
		c := dialWSS(t, srv.TLSAddr(), "/")
		c.send(msg(OpText, asciiPayload(64<<10+1)))
		c.closeHandshake(CloseTooBig)
	})
	t.Run("ping", func(t *testing.T) {
		c := dialWSS(t, srv.TLSAddr(), "/")
		c.send(msg(OpPing, []byte("p")))
		c.pings = true
		c.expectMessage(OpPong, []byte("p"))
	})
}

func TestTLSServerPingAndTimeouts(t *testing.T) {
	o := tlsTestOptions(t)
	o.PingInterval = 100 * o.TimerResolution / 20
	o.HandshakeTimeout = 300 * o.TimerResolution / 20
	srv := startTLSServer(t, newRecorder(false), o, "")
	t.Run("server ping", func(t *testing.T) {
		c := dialWSS(t, srv.TLSAddr(), "/")
		c.pings = true
		if f := c.mustFrame(); f.op != OpPing {
			t.Fatalf("op %d, want a ping", f.op)
		}
	})
	t.Run("no request head after the handshake", func(t *testing.T) {
		c := dialTLS(t, srv.TLSAddr(), clientTLS(t), nil)
		c.expectEOF()
	})
	t.Run("half a ClientHello", func(t *testing.T) {
		c := dialRaw(t, srv.TLSAddr())
		c.send([]byte{22, 3, 1, 2, 0, 1, 0, 1, 252, 3, 3})
		c.expectEOF()
	})
}

func TestTLSMaxConns(t *testing.T) {
	o := tlsTestOptions(t)
	o.MaxConns = 1
	srv := startTLSServer(t, newRecorder(true), o, "")
	first := dialWSS(t, srv.TLSAddr(), "/")
	if _, err := tryDialTLS(srv.TLSAddr(), clientTLS(t), nil); err == nil {
		t.Fatal("a second connection got through past MaxConns")
	}
	first.send(msg(OpText, []byte("still here")))
	first.expectMessage(OpText, []byte("still here"))
}

func TestTLSOptionsChecked(t *testing.T) {
	for _, tc := range []struct {
		name string
		tls  *TLSOptions
	}{
		{name: "no address", tls: &TLSOptions{Config: serverTLS(t)}},
		{name: "no config", tls: &TLSOptions{Addr: "127.0.0.1:0"}},
		{name: "no certificate", tls: &TLSOptions{Addr: "127.0.0.1:0", Config: &tls.Config{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := testOptions()
			o.TLS = tc.tls
			if _, err := New(echoHandler{}, WithOptions(o)); !errors.Is(err, ErrBadOptions) {
				t.Fatalf("New: %v, want ErrBadOptions", err)
			}
		})
	}
	srv, err := New(echoHandler{}, WithOptions(testOptions()))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(""); !errors.Is(err, ErrBadOptions) {
		t.Fatalf("Serve without any listener: %v, want ErrBadOptions", err)
	}
}

// TestTLSSlowConsumer: over TLS too, a client that does not read is closed
// with 4008 once its unsent bytes pass WriteQueueBytes, and others go on:
// at enqueue (the queue alone passes the limit) and at flush (gnet's
// outbound buffer plus the batch pass it), as TestSlowConsumer on plain
// sockets.
func TestTLSSlowConsumer(t *testing.T) {
	o := tlsTestOptions(t)
	o.WriteQueueBytes = 256 << 10
	rec := newRecorder(true)
	srv := startTLSServer(t, rec, o, "")
	frame := FinishFrame(append(NewFrameBuffer(16<<10), asciiPayload(16<<10)...), OpBinary)
	for _, tc := range []struct {
		name string
		// push queues one frame and reports false once the connection
		// refuses frames or has closed.
		push func(sc *Conn) bool
		max  int // frames pushed before the test gives up
	}{
		// Sends outrun the flushes: the queue passes WriteQueueBytes and
		// enqueue closes with 4008.
		{"Send from another goroutine", func(sc *Conn) bool { return sc.Send(frame) }, 1 << 14},
		// One frame per loop task, flushed each time: the queue never holds
		// more than 16 KiB, the encrypted records pile up in gnet's
		// outbound buffer, and only flush's check (OutboundBuffered + n)
		// closes with 4008. 32 MiB is far past loopback's socket buffers.
		{"Write on the loop", func(sc *Conn) bool { return execWrite(sc, frame) }, 1 << 11},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := srv.Stats().SlowConsumers.Load()
			slow := dialWSS(t, srv.TLSAddr(), "/")
			sc, _ := rec.nextOpen(t)
			fast := dialWSS(t, srv.TLSAddr(), "/")
			rec.nextOpen(t)
			for n := 0; tc.push(sc); n++ {
				if n > tc.max {
					t.Fatalf("%d frames queued to a client that does not read", n)
				}
			}
			expectSlowClosed(t, rec, sc, fast, slow)
			if got := srv.Stats().SlowConsumers.Load(); got != before+1 {
				t.Fatalf("SlowConsumers %d, want %d", got, before+1)
			}
			drainMsgs(rec)
		})
	}
}
