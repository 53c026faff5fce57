package engine

import "errors"

var (
	// ErrClosed is returned by operations on a connection that is closing or closed.
	ErrClosed = errors.New("engine: connection closed")
	// ErrBadOptions is returned by New for options that cannot work.
	ErrBadOptions = errors.New("engine: bad options")
	// ErrStopped is returned by Serve when the engine stopped without Stop
	// being called (for example gnet died on EMFILE at accept).
	ErrStopped = errors.New("engine: event loops stopped unexpectedly")
)
