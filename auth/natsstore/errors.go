package natsstore

import "errors"

// errBadID is returned (wrapped in auth.ErrStore) for a family ID that
// cannot be a key.
var errBadID = errors.New("natsstore: family id not usable as a key")
