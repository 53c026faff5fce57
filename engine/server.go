package engine

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// Server is a WebSocket server on gnet event loops.
type Server struct {
	gnet.BuiltinEventEngine

	h     Handler
	opts  Options
	clock atomic.Int64 // coarse UnixNano, advanced by the ticker
	stats Stats
	adm   *admission
	// tokens is h as a TokenChecker; nil when h is not one.
	tokens TokenChecker
	// release frees the port reservation once the listeners are bound.
	release func()

	eng     gnet.Engine
	plain   string   // the plain listener's address as given to Serve
	addr    net.Addr // the plain listener's bound address
	tls     *tlsServer
	tlsAddr net.Addr // the TLS listener's bound address
	ready   chan struct{}
	stop    chan struct{}
	stopped atomic.Bool

	loopsMu sync.Mutex
	loops   map[gnet.EventLoop]*loop
}

// Stats are the engine's counters. Any goroutine may read them.
type Stats struct {
	Conns         atomic.Int64 // open sockets, handshaking ones included
	Upgraded      atomic.Int64 // open upgraded connections
	Upgrades      atomic.Int64 // successful upgrades since start
	Rejected      atomic.Int64 // HTTP refusals (400, 431, 503…) since start
	SlowConsumers atomic.Int64 // 4008 closes since start

	TLSHandshaking atomic.Int64 // TLS handshakes in their goroutines now
	TLSHandshakes  atomic.Int64 // completed TLS handshakes since start
	TLSResumed     atomic.Int64 // of those, resumed sessions
	TLSOwnRecords  atomic.Int64 // of those, TLS 1.3 ones whose records the engine protects itself
	TLSFailed      atomic.Int64 // TLS connections closed before their handshake completed
}

// New returns a Server that calls h. It does not listen until Serve.
func New(h Handler, opts ...Option) (*Server, error) {
	var o Options
	for _, opt := range opts {
		opt(&o)
	}
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{h: h, opts: o, ready: make(chan struct{}), stop: make(chan struct{}),
		loops: make(map[gnet.EventLoop]*loop)}
	if o.TLS != nil {
		s.tls = newTLSServer(o.TLS)
	}
	s.clock.Store(time.Now().UnixNano())
	s.adm = newAdmission(&s.opts)
	s.tokens, _ = h.(TokenChecker)
	return s, nil
}

// Serve listens on addr (host:port), and on Options.TLS.Addr when TLS is
// configured, and runs the event loops until Stop. An empty addr serves
// TLS alone. It returns ErrStopped if the loops end without Stop being
// called.
func (s *Server) Serve(addr string) error {
	addrs, err := s.reserveListeners(addr) // see listen.go
	if err != nil {
		close(s.ready)
		return err
	}
	defer s.release()
	err = gnet.Rotate(s, addrs,
		gnet.WithMulticore(true),
		gnet.WithNumEventLoop(s.opts.Loops),
		gnet.WithReusePort(true), // a listener per loop: see listen.go
		gnet.WithReuseAddr(true),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
		gnet.WithLogger(gnetLogger{s.opts.Logger}),
	)
	select {
	case <-s.ready:
	default:
		close(s.ready) // failed before boot: unblock Ready waiters
	}
	if err == nil && !s.stopped.Load() {
		err = ErrStopped
	}
	return err
}

// Ready is closed once the listener is bound (or Serve failed).
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr is the bound listener address, valid after Ready; nil if Serve failed
// or serves TLS alone.
func (s *Server) Addr() net.Addr { return s.addr }

// TLSAddr is the bound TLS listener address, valid after Ready; nil if
// Serve failed or TLS is not configured.
func (s *Server) TLSAddr() net.Addr { return s.tlsAddr }

// Stats returns the engine's counters.
func (s *Server) Stats() *Stats { return &s.stats }

// Options returns the options in effect, defaults filled in.
func (s *Server) Options() Options { return s.opts }

// Stop closes the listener and every connection and waits for the loops to
// end, or for ctx.
func (s *Server) Stop(ctx context.Context) error {
	if s.stopped.Swap(true) {
		return nil
	}
	<-s.ready
	return s.eng.Stop(ctx)
}

func (s *Server) now() int64 { return s.clock.Load() }

// OnBoot records the engine and the bound address and starts the ticker.
func (s *Server) OnBoot(eng gnet.Engine) gnet.Action {
	s.eng = eng
	s.release()
	if s.plain != "" {
		s.addr = boundAddr(eng, s.plain)
	}
	if s.tls != nil {
		s.tlsAddr = boundAddr(eng, s.tls.listen)
		s.tls.bound, _ = s.tlsAddr.(*net.TCPAddr)
	}
	go s.tick()
	close(s.ready)
	return gnet.None
}

// OnShutdown stops the ticker.
func (s *Server) OnShutdown(gnet.Engine) { close(s.stop) }

// OnOpen registers a new socket, or refuses it (see Admission).
func (s *Server) OnOpen(gc gnet.Conn) ([]byte, gnet.Action) {
	l := s.loopOf(gc.EventLoop())
	c := &Conn{gc: gc, srv: s, loop: l, deadline: s.now() + int64(s.opts.HandshakeTimeout)}
	gc.SetContext(c)
	l.add(c)
	if s.tls != nil && s.tls.isTLS(gc) {
		c.tls = newTLSConn(c)
	}
	switch v, resp := s.adm.admit(gc.RemoteAddr(), s.stats.Conns.Add(1), s.now()); v {
	case refused:
		if c.tls != nil { // no TLS spent on a refusal: close at once
			s.stats.Rejected.Add(1)
			return nil, gnet.Close
		}
		c.reject(resp)
	case dropped:
		return nil, gnet.Close
	}
	return nil, gnet.None
}

// OnTraffic handles every complete request head and frame in the inbound
// buffer, keeps what is incomplete, and flushes what the handler wrote.
func (s *Server) OnTraffic(gc gnet.Conn) gnet.Action {
	c := gc.Context().(*Conn)
	if c.tls != nil {
		c.tls.onTraffic()
		return gnet.None
	}
	if c.need > gc.InboundBuffered() {
		return gnet.None // a large frame is still arriving: don't re-Peek it
	}
	defer c.loop.stats.leave(c.loop.stats.enter())
	c.need = 0
	buf, _ := gc.Peek(-1)
	n := c.consume(buf)
	c.loop.stats.BytesIn.Add(int64(n))
	if c.state == stateClosed {
		return gnet.None
	}
	if n > 0 { // gnet's Discard(0) drops everything buffered
		_, _ = gc.Discard(n)
	}
	c.flush()
	if len(c.loop.pending) > 0 {
		c.loop.flushPending() // the handler used Conn.Queue
	}
	return gnet.None
}

// OnClose ends the connection's life: timers, counters, the handler.
func (s *Server) OnClose(gc gnet.Conn, _ error) gnet.Action {
	c, ok := gc.Context().(*Conn)
	if !ok || c.state == stateClosed {
		return gnet.None
	}
	c.state = stateClosed
	c.closed.Store(true)
	c.loop.remove(c)
	c.dropFragments()
	if c.tls != nil {
		c.tls.onClose()
	}
	s.stats.Conns.Add(-1)
	if c.upgraded {
		s.stats.Upgraded.Add(-1)
		code := c.closeCode
		if code == 0 {
			code = CloseAbnormal
		}
		s.h.OnClose(c, code)
	}
	return gnet.None
}

// loopOf returns the engine's state for a gnet loop, creating it on first use.
func (s *Server) loopOf(gl gnet.EventLoop) *loop {
	s.loopsMu.Lock()
	defer s.loopsMu.Unlock()
	l := s.loops[gl]
	if l == nil {
		l = &loop{srv: s, gl: gl, up: newUpgrader()}
		l.stats.Index, l.up.origins = len(s.loops), s.adm.origins
		if s.opts.Admission.WSPath != "" {
			l.up.path = []byte(s.opts.Admission.WSPath)
		}
		if s.opts.Compression {
			l.up.u.Negotiate = l.up.negotiate
		}
		s.loops[gl] = l
	}
	return l
}

// tick advances the coarse clock and asks every loop to sweep its
// connections, every TimerResolution until shutdown.
func (s *Server) tick() {
	t := time.NewTicker(s.opts.TimerResolution)
	defer t.Stop()
	var rl refusalLog
	for {
		select {
		case <-s.stop:
			return
		case now := <-t.C:
			s.clock.Store(now.UnixNano())
			s.reportRefusals(&rl, now.UnixNano())
			s.loopsMu.Lock()
			for gl, l := range s.loops {
				_ = gl.Execute(context.Background(), l)
			}
			s.loopsMu.Unlock()
		}
	}
}

func sockaddrToTCP(sa unix.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]).To16(), Port: a.Port}
	case *unix.SockaddrInet6:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]), Port: a.Port}
	}
	return nil
}

// String describes the server for logs.
func (s *Server) String() string {
	return fmt.Sprintf("engine(%v, %d loops)", s.addr, s.opts.Loops)
}
