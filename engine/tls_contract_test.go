package engine

import (
	"bytes"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

// switchConn is a net.Conn that behaves like a socket until manual is set;
// then Read serves only the bytes fed to it and returns fail (the engine's
// errWouldBlock, or another error) when it has none, and Write collects.
type switchConn struct {
	net.Conn
	mu     sync.Mutex
	manual bool
	in     []byte
	out    bytes.Buffer
	fail   error
	reads  int // Reads in manual mode
}

func (s *switchConn) Read(p []byte) (int, error) {
	s.mu.Lock()
	if !s.manual {
		s.mu.Unlock()
		return s.Conn.Read(p)
	}
	defer s.mu.Unlock()
	s.reads++
	if len(s.in) == 0 {
		return 0, s.fail
	}
	n := copy(p, s.in)
	s.in = s.in[n:]
	return n, nil
}

func (s *switchConn) Write(p []byte) (int, error) {
	s.mu.Lock()
	if !s.manual {
		s.mu.Unlock()
		return s.Conn.Write(p)
	}
	defer s.mu.Unlock()
	return s.out.Write(p)
}

func (s *switchConn) setManual(fail error) {
	s.mu.Lock()
	s.manual, s.fail = true, fail
	s.mu.Unlock()
}

func (s *switchConn) feed(b []byte) {
	s.mu.Lock()
	s.in = append(s.in, b...)
	s.mu.Unlock()
}

func (s *switchConn) written() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.out.Bytes()...)
}

// tlsPair completes a handshake between a server and a client over
// loopback TCP, each on a switchConn, with the client at most version v.
func tlsPair(t *testing.T, v uint16) (srv *tls.Conn, srvConn *switchConn, cli *tls.Conn, cliConn *switchConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	cnc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	snc := <-accepted
	if snc == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { _ = cnc.Close(); _ = snc.Close() })
	srvConn, cliConn = &switchConn{Conn: snc}, &switchConn{Conn: cnc}
	cfg := clientTLS(t)
	cfg.MaxVersion = v
	scfg := serverTLS(t)
	scfg.SessionTicketsDisabled = true // no ticket records left in flight after the handshake
	srv, cli = tls.Server(srvConn, scfg), tls.Client(cliConn, cfg)
	_ = snc.SetDeadline(time.Now().Add(testWait))
	_ = cnc.SetDeadline(time.Now().Add(testWait))
	errc := make(chan error, 1)
	go func() { errc <- cli.Handshake() }()
	if err := srv.Handshake(); err != nil {
		t.Fatalf("server handshake: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	return srv, srvConn, cli, cliConn
}

// TestTLSRetryContract pins the crypto/tls behaviour the loop relies on.
// After the handshake the engine's adapter returns errWouldBlock, a
// temporary net.Error, whenever gnet holds no more ciphertext. crypto/tls
// must return that error without remembering it, keep the bytes of a
// partial record, and carry on at the next Read. A Go release that makes
// such errors sticky (or stops looking at Temporary) fails here loudly.
func TestTLSRetryContract(t *testing.T) {
	var ne net.Error
	if !errors.As(errWouldBlock, &ne) || !ne.Timeout() || !ne.Temporary() {
		t.Fatal("errWouldBlock must be a temporary timeout net.Error")
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			srv, sc, cli, cc := tlsPair(t, v)
			sc.setManual(errWouldBlock)
			cc.setManual(errWouldBlock)
			want := [][]byte{[]byte("first message"), bytes.Repeat([]byte("0123456789"), 3000), []byte("x")}
			for _, m := range want {
				if _, err := cli.Write(m); err != nil {
					t.Fatalf("client write: %v", err)
				}
			}
			cipher := cc.written()
			var got []byte
			buf := make([]byte, 64<<10)
			blocked := 0
			for i := range cipher { // one byte of ciphertext at a time
				sc.feed(cipher[i : i+1])
				for {
					n, err := srv.Read(buf)
					got = append(got, buf[:n]...)
					if err == nil {
						continue
					}
					if !errors.Is(err, errWouldBlock) {
						t.Fatalf("after %d of %d bytes: %v, want errWouldBlock", i+1, len(cipher), err)
					}
					blocked++
					break
				}
			}
			if !bytes.Equal(got, bytes.Join(want, nil)) {
				t.Fatalf("got %d plaintext bytes, want %d", len(got), len(bytes.Join(want, nil)))
			}
			if blocked < len(cipher) {
				t.Fatalf("%d would-blocks for %d bytes fed one at a time", blocked, len(cipher))
			}
			// Writing between partial reads works, and the client reads it.
			sc.feed(nil)
			if _, err := srv.Write([]byte("reply")); err != nil {
				t.Fatalf("server write after would-blocks: %v", err)
			}
			cc.feed(sc.written())
			n, err := cli.Read(buf)
			for err == nil && n == 0 {
				n, err = cli.Read(buf)
			}
			if string(buf[:n]) != "reply" {
				t.Fatalf("client read %q, %v", buf[:n], err)
			}
		})
	}
}

// TestTLSPermanentErrorIsSticky is the other half of the contract: an
// error that is not temporary ends the connection for good, which is why
// the adapter's error must be temporary.
func TestTLSPermanentErrorIsSticky(t *testing.T) {
	srv, sc, cli, cc := tlsPair(t, tls.VersionTLS13)
	permanent := errors.New("permanent")
	sc.setManual(permanent)
	cc.setManual(permanent)
	if _, err := cli.Write([]byte("late")); err != nil {
		t.Fatal(err)
	}
	cipher := cc.written()
	sc.feed(cipher[:3])
	buf := make([]byte, 1024)
	if _, err := srv.Read(buf); !errors.Is(err, permanent) {
		t.Fatalf("first read: %v, want the permanent error", err)
	}
	sc.feed(cipher[3:])
	if _, err := srv.Read(buf); !errors.Is(err, permanent) {
		t.Fatalf("read after more bytes: %v, want the permanent error again", err)
	}
}
