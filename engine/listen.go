package engine

import (
	"fmt"
	"net"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// Why every loop has its own listener.
//
// In gnet's default mode one reactor accepts in a loop until the kernel's
// queue is empty and hands each socket to a loop later; a burst of
// connections is accepted long before OnOpen counts any of them, so no cap
// on OnOpen can keep the process below RLIMIT_NOFILE, and EMFILE at accept
// kills gnet's engine. With a listener per loop (SO_REUSEPORT, gnet's
// ReusePort mode) a loop accepts one socket per readiness event and runs
// OnOpen for it at once, so at most one socket per loop is uncounted and
// MaxConns plus Admission.RejectBacklog bounds the sockets the engine
// holds.
//
// SO_REUSEPORT would let any process of the same user join the port. So
// unless Options.ReusePort asks for sharing, Serve first binds the address
// without SO_REUSEPORT: if anything listens there, Serve fails as a plain
// listener would; while the engine runs, a socket without SO_REUSEPORT
// cannot bind the port. (A process that sets SO_REUSEPORT itself, such as
// another gateway started with -reuseport, could still join.)

// reservation is the address Serve hands to gnet, resolved from the
// caller's: a concrete port, so that every loop's listener binds the same
// one. release frees the probe socket that held the port meanwhile.
type reservation struct {
	addr    string
	release func()
}

// reserveAddr resolves addr (host:port, port 0 allowed). Without shared it
// fails when another socket listens on the address.
func reserveAddr(addr string, shared bool) (reservation, error) {
	ta, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return reservation{}, err
	}
	family, sa, v6only := unix.AF_INET6, unix.Sockaddr(nil), false
	if ip4 := ta.IP.To4(); ip4 != nil {
		family, sa = unix.AF_INET, &unix.SockaddrInet4{Port: ta.Port, Addr: [4]byte(ip4)}
	} else {
		s6 := &unix.SockaddrInet6{Port: ta.Port}
		if ta.IP != nil {
			copy(s6.Addr[:], ta.IP.To16())
			v6only = true
		}
		sa = s6
	}
	fd, err := probe(family, sa, v6only, shared)
	if err != nil {
		return reservation{}, fmt.Errorf("listen %s: %w", addr, err)
	}
	port := ta.Port
	if got, err := unix.Getsockname(fd); err == nil {
		switch a := got.(type) {
		case *unix.SockaddrInet4:
			port = a.Port
		case *unix.SockaddrInet6:
			port = a.Port
		}
	}
	var once sync.Once
	release := func() { once.Do(func() { _ = unix.Close(fd) }) }
	host := ""
	if ta.IP != nil {
		host = ta.IP.String()
	}
	return reservation{addr: net.JoinHostPort(host, strconv.Itoa(port)), release: release}, nil
}

// probe binds a socket (SO_REUSEADDR, SO_REUSEPORT when shared) to sa
// without listening.
func probe(family int, sa unix.Sockaddr, v6only, shared bool) (int, error) {
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return -1, err
	}
	opts := [][2]int{{unix.SO_REUSEADDR, 1}}
	if shared {
		opts = append(opts, [2]int{unix.SO_REUSEPORT, 1})
	}
	for _, o := range opts {
		if err = unix.SetsockoptInt(fd, unix.SOL_SOCKET, o[0], o[1]); err != nil {
			break
		}
	}
	if err == nil && v6only {
		err = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
	}
	if err == nil {
		err = unix.Bind(fd, sa)
	}
	if err != nil {
		_ = unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// reserveListeners reserves the plain address (empty: none) and the TLS
// one, and returns the addresses to hand gnet. Exclusive probes are closed
// here, after every address has its port (two ":0" addresses must not get
// the same one), so that they do not stand in the way of the loops'
// listeners; shared ones are held until OnBoot (s.release).
func (s *Server) reserveListeners(addr string) ([]string, error) {
	var held []reservation
	release := func() {
		for _, r := range held {
			r.release()
		}
	}
	reserve := func(a string) (string, error) {
		r, err := reserveAddr(a, s.opts.ReusePort)
		if err != nil {
			return "", err
		}
		held = append(held, r)
		return r.addr, nil
	}
	plain, tlsAddr := "", ""
	var err error
	if addr != "" {
		plain, err = reserve(addr)
	}
	if err == nil && s.tls != nil {
		tlsAddr, err = reserve(s.opts.TLS.Addr)
	}
	var addrs []string
	if err == nil {
		addrs, err = s.listenAddrs(plain, tlsAddr)
	}
	if err != nil || !s.opts.ReusePort {
		release()
	}
	if err != nil {
		return nil, err
	}
	s.plain, s.release = plain, release
	return addrs, nil
}
