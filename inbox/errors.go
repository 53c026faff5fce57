package inbox

import "errors"

var (
	// ErrClosed is returned by a store that has been closed.
	ErrClosed = errors.New("inbox: store closed")
	// ErrTooLarge is returned by Append for an entry over MaxEntryBytes.
	ErrTooLarge = errors.New("inbox: entry too large")
	// ErrConfig is returned for a configuration that cannot work.
	ErrConfig = errors.New("inbox: bad configuration")
	// ErrUnavailable wraps a failure of the store's backend (disk, NATS).
	ErrUnavailable = errors.New("inbox: store unavailable")
)
