package hub

import "github.com/imgate/gateway/engine/wsframe"

// Sender is one session's outbound side, implemented by a WebSocket
// connection. Send may be called from any goroutine; it must not block.
//
// The frame is one immutable WebSocket message shared by every recipient
// (plain, and compressed at most once for those that negotiated
// permessage-deflate: see wsframe.Frame): Send must not modify it and may
// keep it (for an asynchronous write) for as long as it likes. Send reports
// whether the frame was accepted; false means the connection is closed or
// refused it.
type Sender interface {
	Send(frame *wsframe.Frame) bool
}

// Member is one session in the table. Its fields must not change after it
// has been passed to [Hub.Add]: the hub reads them on owner goroutines
// without synchronisation. A member is identified by its pointer and may
// be in one hub's table at a time.
type Member struct {
	Conn      Sender
	UserID    string
	SessionID string
	DeviceID  string
	Platform  string
	next      *Member // the user's next (newer) session in the table; owner only
}
