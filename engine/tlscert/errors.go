package tlscert

import "errors"

var (
	// ErrNoFiles is returned by Reload for a Store that was not loaded from
	// files (a generated certificate).
	ErrNoFiles = errors.New("tlscert: certificate not loaded from files")
	// ErrBadVersion is returned by ParseVersion for a version other than
	// 1.2 or 1.3.
	ErrBadVersion = errors.New("tlscert: TLS version must be 1.2 or 1.3")
)
