// Package wsframe holds Frame, one outbound WebSocket message shared by
// every connection it goes to, with its permessage-deflate (RFC 7692)
// variant built lazily, at most once, the first time a recipient that
// negotiated compression asks for it.
//
// It sits apart from the engine so that packages which carry frames
// without touching sockets (the hub) can name the type. The engine's
// Conn.SendFrame and Conn.WriteFrame pick the variant per connection.
package wsframe
