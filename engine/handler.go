package engine

// Handler receives the events of upgraded connections. All methods run on
// the connection's event loop and must not block: hand slow work (password
// hashing, network calls) to other goroutines and come back with
// Conn.Execute or Conn.Send.
type Handler interface {
	// OnOpen runs once the upgrade has been answered with 101 and before any
	// frame of the connection is read. req is only valid until OnOpen
	// returns.
	OnOpen(c *Conn, req *Request)
	// OnMessage runs for every complete message (fragments reassembled).
	// Text messages are valid UTF-8. payload is only valid until OnMessage
	// returns.
	OnMessage(c *Conn, op OpCode, payload []byte)
	// OnClose runs once for every connection OnOpen ran for, after the
	// socket is closed. code is the close code the server sent or received,
	// 1006 when the connection ended without a close frame.
	OnClose(c *Conn, code uint16)
}

// Request is what the upgrade carried that the handler needs. Its fields are
// copies that stay valid after OnOpen returns if the handler keeps them,
// except Token.
type Request struct {
	// Token is the first of: query parameter "token", the Authorization
	// header's Bearer credentials, a "bearer.JWT" Sec-WebSocket-Protocol
	// entry. Empty when the client sent none. It is only valid until
	// CheckToken or OnOpen returns (its bytes are the loop's upgrade
	// buffer, which the next upgrade reuses): a handler that keeps it must
	// copy it (strings.Clone).
	Token string
	// TokenSource says where Token came from.
	TokenSource TokenSource
	// DeviceID and Platform are the query parameters "device_id" and
	// "platform", checked to be at most 64 bytes of [A-Za-z0-9_.:-].
	DeviceID string
	Platform string
	// Since and Epoch are the query parameters "since" (a decimal offset;
	// HasSince tells 0 from absent) and "epoch" (at most 64 bytes of
	// [A-Za-z0-9_.:-]): a resume from the inbox (PROTOCOL.md §8).
	Since    uint64
	HasSince bool
	Epoch    string
}

// TokenSource says where the upgrade request carried its token.
type TokenSource uint8

// Token sources, in the order the server looks for a token.
const (
	TokenNone TokenSource = iota
	TokenQuery
	TokenHeader
	TokenSubprotocol
)

func (s TokenSource) String() string {
	switch s {
	case TokenQuery:
		return "query"
	case TokenHeader:
		return "header"
	case TokenSubprotocol:
		return "subprotocol"
	}
	return "none"
}
