package engine

import (
	"crypto/tls"
	"fmt"
	"net"
	"strings"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// tlsServer is the engine's TLS state shared by every loop. Fields are set
// before the loops start and only read afterwards, except sem.
type tlsServer struct {
	cfg  *tls.Config
	sem  chan struct{} // a place for each handshake computing now
	keys *tlsKeyLog    // cfg's KeyLogWriter: TLS 1.3 secrets for the record layer

	listen string       // the listener address handed to gnet
	conf   *net.TCPAddr // listen, resolved: what gnet reports as LocalAddr
	// byConf: conf tells TLS connections from plain ones; otherwise the
	// bound ports must be compared (both listeners configured on port 0).
	byConf bool
	bound  *net.TCPAddr // the TLS listener's bound address, after boot
}

func newTLSServer(o *TLSOptions) *tlsServer {
	cfg := o.Config.Clone()
	keys := newTLSKeyLog(cfg.KeyLogWriter)
	cfg.KeyLogWriter = keys
	return &tlsServer{cfg: cfg, sem: make(chan struct{}, o.HandshakeConcurrency), keys: keys}
}

// listenAddrs returns the addresses for gnet: the plain listener's (unless
// plain is empty) and the TLS listener's.
func (s *Server) listenAddrs(plain, tlsAddr string) ([]string, error) {
	var addrs []string
	if plain != "" {
		addrs = append(addrs, "tcp://"+plain)
	}
	if t := s.tls; t != nil {
		if err := t.prepare(tlsAddr, plain); err != nil {
			return nil, err
		}
		addrs = append(addrs, "tcp://"+t.listen)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%w: no listener: give an address or TLS options", ErrBadOptions)
	}
	return addrs, nil
}

// prepare decides the TLS listener's address and how OnOpen recognises its
// connections. gnet finds a listener again (DupListener) by the address
// string it was given, so when both listeners are given the same string
// (possible only with port 0) the TLS one is written with its port as "00".
func (t *tlsServer) prepare(addr, plain string) error {
	t.listen = addr
	if addr == plain {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return fmt.Errorf("%w: TLS address %q: %v", ErrBadOptions, addr, err)
		}
		t.listen = net.JoinHostPort(host, "0"+port)
	}
	conf, err := net.ResolveTCPAddr("tcp", t.listen)
	if err != nil {
		return fmt.Errorf("%w: TLS address %q: %v", ErrBadOptions, addr, err)
	}
	t.conf, t.byConf = conf, true
	if plain != "" {
		p, err := net.ResolveTCPAddr("tcp", plain)
		if err != nil {
			return fmt.Errorf("%w: address %q: %v", ErrBadOptions, plain, err)
		}
		t.byConf = !sameAddr(p, conf)
	}
	return nil
}

// isTLS reports whether a newly accepted connection came through the TLS
// listener. Loop only (OnOpen).
func (t *tlsServer) isTLS(gc gnet.Conn) bool {
	if t.byConf {
		la, ok := gc.LocalAddr().(*net.TCPAddr)
		return ok && sameAddr(la, t.conf)
	}
	sa, err := unix.Getsockname(gc.Fd())
	if err != nil || t.bound == nil {
		return false
	}
	la, ok := sockaddrToTCP(sa).(*net.TCPAddr)
	return ok && la.Port == t.bound.Port
}

func sameAddr(a, b *net.TCPAddr) bool {
	return a.Port == b.Port && a.IP.Equal(b.IP)
}

// boundAddr returns the address a listener of eng is bound to.
func boundAddr(eng gnet.Engine, listen string) net.Addr {
	fd, err := eng.DupListener("tcp", strings.TrimPrefix(listen, "tcp://"))
	if err != nil {
		return nil
	}
	defer func() { _ = unix.Close(fd) }()
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return nil
	}
	return sockaddrToTCP(sa)
}
