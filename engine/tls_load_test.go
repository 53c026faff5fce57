package engine

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imgate/gateway/internal/testutil"
)

// TestTLSManyHandshakes runs 1,000 handshakes at once against a few
// handshake places; every connection then upgrades and echoes.
func TestTLSManyHandshakes(t *testing.T) {
	const n = 1000
	o := tlsTestOptions(t)
	o.HandshakeTimeout = time.Minute // the whole crowd must fit in it under -race
	o.TLS.HandshakeConcurrency = 4
	srv := startTLSServer(t, newRecorder(true), o, "")
	cfg := clientTLS(t)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			tc, err := tryDialTLSWait(srv.TLSAddr(), cfg, time.Minute)
			if err != nil {
				errs <- fmt.Errorf("conn %d: %w", i, err)
				return
			}
			defer func() { _ = tc.Close() }()
			c := &wsClient{t: t, nc: tc, br: newReader(tc)}
			if err := c.tryRoundTrip(i); err != nil {
				errs <- fmt.Errorf("conn %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := srv.Stats().TLSHandshakes.Load(); got != n {
		t.Fatalf("TLSHandshakes %d, want %d", got, n)
	}
	testutil.Eventually(t, testWait, statsZero(srv.Server))
	if h := srv.Stats().TLSHandshaking.Load(); h != 0 {
		t.Fatalf("TLSHandshaking %d after all finished", h)
	}
}

// tryRoundTrip upgrades and echoes one message without failing the test
// from a goroutine.
func (c *wsClient) tryRoundTrip(i int) error {
	_ = c.nc.SetDeadline(time.Now().Add(time.Minute))
	c.key = "dGhlIHNhbXBsZSBub25jZQ=="
	if _, err := c.nc.Write(upgradeHead("/?device_id=d"+strconv.Itoa(i), c.key)); err != nil {
		return err
	}
	head, err := c.br.ReadString('\n')
	if err != nil || head != "HTTP/1.1 101 Switching Protocols\r\n" {
		return fmt.Errorf("status line %q: %v", head, err)
	}
	for {
		line, err := c.br.ReadString('\n')
		if err != nil {
			return err
		}
		if line == "\r\n" {
			break
		}
	}
	p := []byte("hello " + strconv.Itoa(i))
	if _, err := c.nc.Write(msg(OpText, p)); err != nil {
		return err
	}
	f, err := readServerFrame(c.br)
	if err != nil || !bytes.Equal(f.payload, p) {
		return fmt.Errorf("echo %q: %v", f.payload, err)
	}
	return nil
}

// TestTLSOrderedPushes sends from many goroutines to one TLS connection;
// every message must arrive intact, each goroutine's in its order.
func TestTLSOrderedPushes(t *testing.T) {
	const goroutines, each = 8, 300
	o := tlsTestOptions(t)
	o.WriteQueueBytes = 256 << 20
	rec := newRecorder(false)
	srv := startTLSServer(t, rec, o, "")
	c := dialWSS(t, srv.TLSAddr(), "/")
	sc, _ := rec.nextOpen(t)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				if !sc.Send(FinishFrame(append(NewFrameBuffer(0), pushPayload(g, i)...), OpBinary)) {
					t.Errorf("Send %d:%d refused", g, i)
					return
				}
			}
		})
	}
	next := make([]int, goroutines)
	for range goroutines * each {
		f := c.mustFrame()
		g, i, ok := parsePush(f.payload)
		if !ok || g >= goroutines || i != next[g] {
			t.Fatalf("got push %d:%d (%d bytes, valid %v), want %d:%d", g, i, len(f.payload), ok, g, next[min(g, goroutines-1)])
		}
		next[g]++
	}
	wg.Wait()
}

// pushPayload is goroutine g's i-th push: "g:i:" and a filler whose length
// varies from a few bytes to more than one TLS record.
func pushPayload(g, i int) []byte {
	n := (i * 997 % 40) * (1 << (i % 10))
	p := fmt.Appendf(nil, "%d:%d:", g, i)
	for j := range n {
		p = append(p, byte('a'+(g+i+j)%26))
	}
	return p
}

func parsePush(p []byte) (g, i int, ok bool) {
	parts := bytes.SplitN(p, []byte(":"), 3)
	if len(parts) != 3 {
		return 0, 0, false
	}
	g, err1 := strconv.Atoi(string(parts[0]))
	i, err2 := strconv.Atoi(string(parts[1]))
	return g, i, err1 == nil && err2 == nil && bytes.Equal(p, pushPayload(g, i))
}

// TestTLSHelloFlood opens connections that send half a ClientHello or
// garbage, with one handshake place: established connections keep working,
// new handshakes complete, and the garbage is closed at once.
func TestTLSHelloFlood(t *testing.T) {
	const flood = 100
	o := tlsTestOptions(t)
	o.HandshakeTimeout = time.Minute
	o.TLS.HandshakeConcurrency = 1
	srv := startTLSServer(t, newRecorder(true), o, "")
	est := dialWSS(t, srv.TLSAddr(), "/")

	half := make([]*wsClient, flood)
	for i := range half {
		half[i] = dialRaw(t, srv.TLSAddr())
		half[i].send([]byte{22, 3, 1, 2, 0, 1, 0, 1, 252, 3, 3, 0, 0, 0, 0})
	}
	junk := make([]*wsClient, flood)
	for i := range junk {
		junk[i] = dialRaw(t, srv.TLSAddr())
		junk[i].send(bytes.Repeat([]byte{0x42}, 1+i))
	}
	for _, c := range junk {
		c.expectEOF()
	}
	est.send(msg(OpText, []byte("alive")))
	est.expectMessage(OpText, []byte("alive"))
	fresh := dialWSS(t, srv.TLSAddr(), "/")
	fresh.send(msg(OpText, []byte("new")))
	fresh.expectMessage(OpText, []byte("new"))
	if got := srv.Stats().Conns.Load(); got != 2+flood {
		t.Fatalf("Conns %d, want %d (the half hellos still wait)", got, 2+flood)
	}
	if h := srv.Stats().TLSHandshaking.Load(); h != 0 {
		t.Fatalf("TLSHandshaking %d: half hellos must not start handshakes", h)
	}
	if f := srv.Stats().TLSFailed.Load(); f != flood {
		t.Fatalf("TLSFailed %d, want the %d junk connections", f, flood)
	}
}

// stallAfterHello passes the client's first write (its ClientHello) and
// holds every later one until release is closed: the server's handshake
// goroutine then waits for a Finished that does not come.
type stallAfterHello struct {
	net.Conn
	writes  atomic.Int32
	read    chan struct{} // closed once the server's first flight arrives
	once    sync.Once
	release chan struct{}
}

func (s *stallAfterHello) Write(p []byte) (int, error) {
	if s.writes.Add(1) > 1 {
		<-s.release
		return 0, errors.New("stalled")
	}
	return s.Conn.Write(p)
}

func (s *stallAfterHello) Read(p []byte) (int, error) {
	n, err := s.Conn.Read(p)
	if n > 0 {
		s.once.Do(func() { close(s.read) })
	}
	return n, err
}

// TestTLSStalledHandshakeFreesItsPlace: with one handshake place, a client
// that stops after its ClientHello does not keep others from connecting.
func TestTLSStalledHandshakeFreesItsPlace(t *testing.T) {
	o := tlsTestOptions(t)
	o.HandshakeTimeout = time.Minute // longer than the test waits
	o.TLS.HandshakeConcurrency = 1
	srv := startTLSServer(t, newRecorder(true), o, "")
	stall := &stallAfterHello{read: make(chan struct{}), release: make(chan struct{})}
	defer close(stall.release)
	go func() {
		_, _ = tryDialTLS(srv.TLSAddr(), clientTLS(t), func(nc net.Conn) net.Conn {
			stall.Conn = nc
			return stall
		})
	}()
	select {
	case <-stall.read:
	case <-time.After(testWait):
		t.Fatal("the stalled client never got the server's flight")
	}
	c := dialWSS(t, srv.TLSAddr(), "/")
	c.send(msg(OpText, []byte("through")))
	c.expectMessage(OpText, []byte("through"))
	if h := srv.Stats().TLSHandshaking.Load(); h != 1 {
		t.Fatalf("TLSHandshaking %d, want the stalled one", h)
	}
}
