// Package engine is the gateway's reactor: a gnet event loop that accepts TCP
// connections, performs the HTTP/1.1 WebSocket upgrade without blocking
// (gobwas/ws's Upgrader over the complete request head), parses RFC 6455
// frames from partial buffers, and writes pre-built frames in batches.
//
// The engine knows nothing of JSON, commands or tokens. It hands the upgrade
// request (token, device_id, platform) and every complete message to a
// Handler, and offers the Handler a Conn to write frames to and close.
//
// # Goroutines
//
// Every connection belongs to one event loop. Handler callbacks run on that
// loop; a Conn's read state and timers are touched only there. Conn.Send and
// Conn.Close are the goroutine-safe ways in from other goroutines; Conn.Execute
// runs a function on the connection's loop. Each method's comment says which
// kind it is.
//
// # Outbound path
//
// Send and Write append a frame to the connection's queue and account its
// bytes. The queue is flushed on the loop with one writev for all queued
// frames: at the end of the callback that wrote them, or by a task the first
// Send from another goroutine schedules. A connection whose queued plus
// unsent bytes pass Options.WriteQueueBytes is closed with 4008.
//
// # Compression
//
// With Options.Compression the upgrade accepts RFC 7692 permessage-deflate
// with no context takeover both ways, so no deflate state outlives a
// message: the loop inflates what its connections send (bounded by
// MaxMessageSize while inflating), and wsframe.Frame carries an outbound
// message whose compressed variant is built at most once, whoever receives
// it; SendFrame and WriteFrame pick the variant per connection (see
// deflate.go).
// A handler with its own batched work for many connections of a loop (the
// gateway's room fan-out) schedules it with LoopRef.Execute and queues
// frames with Conn.Queue: nothing wakes the loop per frame, and when the
// task returns each touched connection is flushed once.
//
// # TLS (wss://)
//
// With Options.TLS the same event loops also serve a TLS listener, with
// Go's own crypto/tls over an in-memory net.Conn (tlsConn) and the same
// Handler. The loop waits for a complete ClientHello (garbage is closed at
// once, a half hello costs only its bytes until HandshakeTimeout), then runs
// the handshake in a short-lived goroutine: at most
// TLSOptions.HandshakeConcurrency compute at once, and one waiting for the
// client holds no place. Records the handshake writes, and its end, come
// back to the loop through one task, in order. Afterwards everything is on
// the loop: OnTraffic decrypts the buffered records (the adapter answers
// crypto/tls with a temporary error when gnet holds no more, and crypto/tls
// carries on with the partial record next time), the plaintext goes through
// the same request-head and frame parser as a plain connection, and a flush
// encrypts its whole batch of frames in order and writes the records with
// one system call. A plain connection pays a nil check for all this.
//
// # Timers
//
// There is no time.Timer per connection. One ticker goroutine asks every loop
// to sweep its connections (Options.TimerResolution apart): handshake
// deadlines, handler deadlines (SetDeadline), idle timeouts, server pings and
// close-handshake timeouts.
//
// # Admission and listeners
//
// Refusals before the upgrade (Options.Admission, MaxConns, SetDraining) are
// decided when a socket is accepted or its request head completes: 403 for
// an Origin not allowed, 429 with Retry-After past the per-IP connect rate,
// 503 with Retry-After at MaxConns or while draining, 404 for a path other
// than Admission.WSPath, and 401 for a token the Handler's TokenChecker
// refuses. Every event loop has
// its own SO_REUSEPORT listener, so that each accepted socket is counted
// before the next is accepted and MaxConns bounds the open files (see
// listen.go). Refusals, per-loop counters (LoopStats) and probes
// (LoopDelays) may be read from any goroutine.
package engine
