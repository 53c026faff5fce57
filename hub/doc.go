// Package hub is the gateway's sharded connection table (the product's
// ConnectionManager): it maps a user ID to that user's live sessions and
// delivers pre-built frames to them. It knows nothing of sockets, JSON or
// JWTs; a session is reached only through its [Sender].
//
// # Ownership
//
// The table is split into a fixed number of shards (a power of two, 64 by
// default); a user belongs to the shard picked by a hash of the user ID. Each
// shard's table (an index of users, each user's sessions linked through
// their Members) is read and written only by that shard's owner goroutine,
// so it needs no lock. Producers (event loops, workers) reach a shard through a
// lock-free multi-producer single-consumer queue: enqueueing is one atomic
// swap (plus a backlog counter add), wait-free for producers; the owner
// drains the queue in batches and parks when it is empty.
//
// # Goroutine safety
//
// Every method of [Hub] may be called from any goroutine. [Hub.Add],
// [Hub.Remove], [Hub.Deliver] and [Hub.Sessions] are asynchronous: they
// enqueue an operation and return without waiting for it and without
// blocking (beyond a possible allocation). When a shard's backlog passes a
// few hundred ops the caller yields its processor once (runtime.Gosched)
// after enqueueing, so that busy producers cannot starve the owners; it still
// never waits for the owner. Operations that one goroutine issues for the
// same user take effect in the order it issued them; operations for
// different users (which may live on different shards) and from different
// goroutines are interleaved in some order. The callbacks passed to
// Deliver and Sessions, [Sender.Send] and the Config.OnPresence hook run on
// the owner goroutine of the user's shard: they must not block, and they may
// call Hub methods (which only enqueue). A callback that panics takes the process down.
//
// [Hub.UserCount], [Hub.SessionCount] and [Hub.Backlog] read atomics that the owners update;
// they are exact once the owners have run every operation issued so far.
//
// # Lifetimes
//
// A [Member] is immutable once added and is identified by its pointer. The
// frame passed to Deliver is shared, unmodified, by every recipient's Send;
// the hub never writes it, keeps it only until the operation has run, and
// never returns it to any pool.
//
// # Shutdown
//
// [Hub.Close] runs every operation that was issued before Close was called
// (drain), then stops the owners and waits for them. Operations issued after
// Close has been called are dropped: their callbacks are never called. An
// operation racing with Close may be run or dropped.
package hub
