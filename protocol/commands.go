package protocol

// Command ids (the envelope's cmd_id).
const (
	CmdLogin        = 1001 // LOGIN: username and password; no auth needed
	CmdLogout       = 1002 // LOGOUT: ends the session's authentication
	CmdHeartbeat    = 1003 // HEARTBEAT: answered with the server time
	CmdRefresh      = 1004 // REFRESH: swaps a refresh token for new tokens
	CmdSync         = 1005 // SYNC: replays the inbox after an offset (§8)
	CmdAck          = 1006 // ACK: moves the device's inbox cursor (§8)
	CmdSend         = 2001 // SEND: a message to a user
	CmdMessage      = 3001 // MESSAGE push: a message delivered to a session
	CmdKicked       = 3003 // KICKED push: sent before close 4003
	CmdTokenExpired = 3004 // TOKEN_EXPIRED push: the access token ran out
	CmdReconnect    = 3005 // RECONNECT push: sent before a drain close
)

// Codes (the "code" field of every server message).
const (
	CodeOK              = 200
	CodeBadRequest      = 400
	CodeUnauthorized    = 401
	CodeForbidden       = 403
	CodeTooLarge        = 413
	CodeTooManyRequests = 429
	CodeInternal        = 500
	CodeUnavailable     = 503
)

// Fixed strings of the first frame (PROTOCOL.md §2), byte for byte as in the
// seed document.
const (
	MsgConnectedAuthenticated = "Connected and authenticated successfully"
	MsgConnectedAnonymous     = "Connected successfully. Please login or provide token."
	MsgTokenInvalid           = "Token authentication failed. Please login."
	MsgTokenExpiredHello      = "Token authentication failed: token expired. Please login."
)

// Fixed "message" strings of success bodies (PROTOCOL.md §3).
const (
	MsgLoginSuccessful = "Login successful"
	MsgLoggedOut       = "Logged out"
)

// Limits the body and envelope decoders enforce, in bytes after unescaping.
const (
	MaxIDLen           = 128  // user ids, usernames, device ids, platforms, client_msg_id
	MaxPasswordLen     = 1024 // password
	MaxRefreshTokenLen = 2048 // refresh_token
	MaxReasonLen       = 256  // kick reason (HTTP API)
)

// CommandName returns the name PROTOCOL.md gives a command or push id
// ("LOGIN", "MESSAGE", ...), or "" for an unknown id. The result is a
// constant, suitable as a metric label.
func CommandName(cmdID int) string {
	switch cmdID {
	case CmdLogin:
		return "LOGIN"
	case CmdLogout:
		return "LOGOUT"
	case CmdHeartbeat:
		return "HEARTBEAT"
	case CmdRefresh:
		return "REFRESH"
	case CmdSync:
		return "SYNC"
	case CmdAck:
		return "ACK"
	case CmdSend:
		return "SEND"
	case CmdMessage:
		return "MESSAGE"
	case CmdKicked:
		return "KICKED"
	case CmdTokenExpired:
		return "TOKEN_EXPIRED"
	case CmdReconnect:
		return "RECONNECT"
	case CmdJoin:
		return "JOIN"
	case CmdLeave:
		return "LEAVE"
	case CmdPublish:
		return "PUBLISH"
	case CmdRoomMessage:
		return "ROOM_MESSAGE"
	case CmdBroadcast:
		return "BROADCAST"
	}
	return ""
}
