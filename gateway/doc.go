// Package gateway is the command logic of the chat gateway (the product's
// GatewayServer): it implements engine.Handler, authenticates connections
// with the token their upgrade carried or with LOGIN (cmd 1001), runs the
// commands of PROTOCOL.md §3, and routes SEND (2001) through the hub to
// every session of the recipient and to the sender's other sessions.
//
// # Goroutines
//
// A session (one connection's state) is read and changed only on its
// connection's event loop: in the engine.Handler callbacks and in functions
// passed to engine.Conn.Execute. Password checks run on the auth package's
// worker pool and come back to the loop with Execute. Routing runs on the
// hub's shard owners, which reach connections only through the
// goroutine-safe engine.Conn.Send. The HTTP API runs on net/http's
// goroutines and touches no session.
//
// # One message, socket to socket
//
// engine (loop of A) → Gateway.OnMessage → protocol.DecodeEnvelope →
// handleSend builds one MESSAGE frame → hub.Deliver(to_uid) and
// hub.Deliver(own user, except this session) → shard owners call
// engine.Conn.Send on each session → the recipients' loops writev the frame.
//
// # Cluster mode
//
// With Config.Cluster set (a cluster.Bus), SEND and POST /api/push also
// hand the MESSAGE's JSON to the bus for the other nodes, commands with
// cmd_id >= 10000 go to backends as NATS requests, and PushRemote delivers
// what other nodes and backends publish. The Cluster's methods never block,
// so they are called on event loops; their callbacks come back through the
// goroutine-safe engine.Conn.Send.
package gateway
