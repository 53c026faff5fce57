// Package boltstore is an auth.RefreshStore on disk, in one bbolt file
// (go.etcd.io/bbolt: a B+tree with copy-on-write pages and one writer at a
// time). Every change is fsynced before it returns; concurrent changes are
// coalesced into one transaction, and so one fsync, with bbolt's Batch.
//
// The file holds two buckets: "families" (family ID → version, expiry and
// the auth.Family encoding) and "users" (length-prefixed user ID + family
// ID → nothing), the index that ByUser scans. bbolt locks the file: one
// process at a time may open it; another gets an error after
// Options.LockTimeout.
//
// # Goroutine safety
//
// A *Store is safe for concurrent use. Every method may block on disk I/O:
// call them from worker goroutines, never from an event loop.
package boltstore
