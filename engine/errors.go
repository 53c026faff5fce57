package engine

import (
	"errors"
	"net"
)

var (
	// ErrClosed is returned by operations on a connection that is closing or closed.
	ErrClosed = errors.New("engine: connection closed")
	// ErrBadOptions is returned by New for options that cannot work.
	ErrBadOptions = errors.New("engine: bad options")
	// ErrStopped is returned by Serve when the engine stopped without Stop
	// being called (for example gnet died on EMFILE at accept).
	ErrStopped = errors.New("engine: event loops stopped unexpectedly")
)

// errNotHello means a TLS connection did not start with a ClientHello.
var errNotHello = errors.New("engine: not a TLS ClientHello")

// errWouldBlock is what a TLS connection's adapter returns to crypto/tls on
// the loop when gnet holds no more ciphertext. It is a temporary net.Error,
// which crypto/tls does not keep as the connection's error: the next Read
// carries on with the partial record (pinned by TestTLSRetryContract).
var errWouldBlock net.Error = wouldBlock{}

type wouldBlock struct{}

func (wouldBlock) Error() string   { return "engine: no TLS input buffered" }
func (wouldBlock) Timeout() bool   { return true }
func (wouldBlock) Temporary() bool { return true }
