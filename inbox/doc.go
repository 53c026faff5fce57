// Package inbox keeps each user's inbox: an ordered, pruned log of the
// MESSAGE pushes the user sent or received (PROTOCOL.md §8), with a cursor
// per (user, device) for acknowledgements.
//
// A [Store] hands out offsets from one store-wide sequence, so a user's
// offsets strictly increase but are not consecutive, and a user whose
// entries were all pruned can be forgotten without ever reusing an offset.
// Every entry carries the offset of the user's previous entry (Pos.Prev),
// which lets a reader see a gap.
//
// Implementations: [Memory] (bounded, lost on restart: a new epoch),
// [Bolt] (a bbolt file, fsync per group commit, survives restarts) and
// [NATS] (a JetStream stream; any node appends, any node replays).
// Every method of every Store is safe for concurrent use from any
// goroutine and may block on I/O: the gateway calls them from its inbox
// workers, never from an event loop. storetest holds the contract suite
// every implementation runs.
package inbox
