package gateway

import "errors"

var (
	// ErrConfig is returned by New for a Config that cannot work.
	ErrConfig = errors.New("gateway: bad config")
)
