// Package natsstore is an auth.RefreshStore in a NATS JetStream key-value
// bucket, so that every gateway node of a cluster shares the refresh-token
// families: a refresh, its rotation and the detection of a reused token
// work whichever node the client reaches.
//
// Each family is one key, "f.<family id>", holding the family's
// MarshalBinary encoding; its version is the key's revision, and Update is
// JetStream's compare-and-swap on it (kv.Update with the last revision). The
// user index is one empty key per family, "u.<base64url(user id)>.<family
// id>", written after the family: a family whose index key was never
// written (a failure between the two writes fails its login) is missed by
// RevokeUser but still expires and is pruned.
//
// Every method blocks on NATS (bounded by Options.Timeout): call them from
// the auth workers or HTTP handlers, never from an event loop. All methods
// are safe for concurrent use, from any number of processes.
package natsstore
