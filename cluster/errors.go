package cluster

import "errors"

var (
	// ErrConfig is returned by New for a Config that cannot work.
	ErrConfig = errors.New("cluster: bad config")
	// ErrUnavailable: NATS is not connected (or the bus is closed); the
	// message was not sent.
	ErrUnavailable = errors.New("cluster: unavailable")
	// ErrBusy: the publish queue or the table of requests in flight is
	// full; the message was not sent.
	ErrBusy = errors.New("cluster: busy")
	// ErrNoResponders: no backend subscribes to the request's subject.
	ErrNoResponders = errors.New("cluster: no backend for the command")
	// ErrTimeout: no reply came within Config.RequestTimeout.
	ErrTimeout = errors.New("cluster: backend timeout")
	// ErrBadUserID: an empty user ID has no subject.
	ErrBadUserID = errors.New("cluster: empty user id")
	// ErrStarted: Start was called twice.
	ErrStarted = errors.New("cluster: already started")
)
