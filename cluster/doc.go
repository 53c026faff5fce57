// Package cluster is the bus that makes several gateway nodes one gateway:
// it carries pushes for users, backend requests and control messages over
// NATS (nats.go client). It knows nothing of sockets, WebSocket frames or the
// connection table: the gateway hands it payloads and user IDs, and gets
// pushes back through [Handlers].
//
// # Subjects
//
//	gateway.user.<uid>   a push for every session of a user; the payload is one
//	                     complete server→client JSON message (PROTOCOL.md §3)
//	gateway.up.<cmd_id>  client commands with cmd_id >= 10000, as NATS requests
//	gateway.nodes        control messages to every node (Bus.Broadcast)
//	gateway.node.<id>    control messages to one node (Bus.PublishNode)
//
// <uid> is [EscapeUserID] of the user ID: bytes other than A–Z, a–z, 0–9,
// '-' and '_' are written %XX (upper-case hex). A node subscribes to a
// user's subject while it has at least one session of that user (interest
// follows hub.Config.OnPresence through [Bus.Interest]), so a publish
// reaches exactly the nodes with sessions of that user. Connections use
// NATS's no-echo option: a node never receives what it published itself.
//
// Control messages (a kick: see [Bus.PublishControl]) travel on the user's
// subject too, marked by the Gateway-Control header; one subscription per
// user carries both. Those that must reach nodes regardless of interest go
// on gateway.nodes (revocations) or gateway.node.<id> (evictions), which
// every node subscribes to at Start; the Gateway-User header names the
// user there.
//
// [Registry] is the cluster-wide list of each user's sessions in a
// JetStream key-value bucket, for login policies across nodes; it has its
// own worker goroutines and uses the connection the caller gives it.
//
// # Never blocking
//
// nats.go writes to its socket under the connection's lock when its write
// buffer fills, and a subscription change takes the same lock. So no
// caller ever calls nats.go directly: [Bus.Publish], [Bus.Request] and
// [Bus.PublishControl] put the message on a bounded queue and return at once
// (ErrBusy when it is full, ErrUnavailable while NATS is disconnected);
// [Bus.Interest] records the wish in a coalescing set. Dedicated goroutines
// drain them: one publisher, one interest worker, one inbound dispatcher, one
// reply dispatcher. While NATS is unreachable nats.go keeps reconnecting;
// its reconnect buffer is disabled, so nothing is replayed late, and on
// reconnect nats.go restores every subscription.
//
// # Goroutine safety
//
// Every method of [Bus] may be called from any goroutine and never blocks on
// NATS. [Handlers] run on the bus's goroutines and must not block either.
package cluster
