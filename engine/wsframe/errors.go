package wsframe

import "errors"

// ErrNotFrame is returned by Parse for bytes that are not one complete,
// unmasked, unfragmented WebSocket data frame.
var ErrNotFrame = errors.New("wsframe: not one complete unmasked data frame")
