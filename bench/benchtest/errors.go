package benchtest

import "errors"

// ErrNoAddr means the engine did not come up.
var ErrNoAddr = errors.New("benchtest: server did not start")
