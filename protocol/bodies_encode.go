package protocol

import "strconv"

// Tokens is the token part of a LOGIN or REFRESH success body, and the body
// of POST /api/refresh-token.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    int64 // seconds until the access token expires
}

// LoginResult is the success body of LOGIN (1001).
type LoginResult struct {
	UserID    string
	SessionID string
	Tokens
}

// SendResult is the success body of SEND (2001).
type SendResult struct {
	MsgID     string
	Delivered int    // sessions of to_uid written to on this node
	Routed    bool   // cluster mode: also handed to the bus; omitted when false
	Offset    uint64 // the sender's copy in its inbox (§8); omitted when 0
}

// Message is the body of a MESSAGE (3001) push.
type Message struct {
	MsgID      string
	FromUID    string
	FromDevice string
	ToUID      string
	// Content is raw JSON, embedded verbatim; it must be valid JSON in
	// valid UTF-8 (as [DecodeSend] returns it). Empty gives null.
	Content     []byte
	ClientMsgID string // omitted when ""
	TS          int64  // Unix milliseconds
	// Offset and PrevOffset are the message's place in the receiving
	// user's inbox (PROTOCOL.md §8); both omitted when Offset is 0.
	Offset, PrevOffset uint64
}

// AppendLoginBody appends
// {"message":"Login successful","user_id","session_id","access_token","refresh_token","expires_in"}.
func AppendLoginBody(dst []byte, r *LoginResult) []byte {
	dst = append(dst, `{"message":"`+MsgLoginSuccessful+`","user_id":`...)
	dst = appendString(dst, r.UserID)
	dst = append(dst, `,"session_id":`...)
	dst = appendString(dst, r.SessionID)
	dst = append(dst, ',')
	return appendTokenFields(dst, &r.Tokens)
}

// AppendTokensBody appends {"access_token","refresh_token","expires_in"}.
func AppendTokensBody(dst []byte, t *Tokens) []byte {
	dst = append(dst, '{')
	return appendTokenFields(dst, t)
}

func appendTokenFields(dst []byte, t *Tokens) []byte {
	dst = append(dst, `"access_token":`...)
	dst = appendString(dst, t.AccessToken)
	dst = append(dst, `,"refresh_token":`...)
	dst = appendString(dst, t.RefreshToken)
	dst = append(dst, `,"expires_in":`...)
	dst = appendInt(dst, t.ExpiresIn)
	return append(dst, '}')
}

// AppendLogoutBody appends {"message":"Logged out"}.
func AppendLogoutBody(dst []byte) []byte {
	return append(dst, `{"message":"`+MsgLoggedOut+`"}`...)
}

// AppendHeartbeatBody appends {"server_time":unix_ms}.
func AppendHeartbeatBody(dst []byte, serverTimeMs int64) []byte {
	dst = append(dst, `{"server_time":`...)
	dst = appendInt(dst, serverTimeMs)
	return append(dst, '}')
}

// AppendSendResultBody appends {"msg_id","delivered"[,"routed":true]}.
func AppendSendResultBody(dst []byte, r *SendResult) []byte {
	dst = append(dst, `{"msg_id":`...)
	dst = appendString(dst, r.MsgID)
	dst = append(dst, `,"delivered":`...)
	dst = appendInt(dst, int64(r.Delivered))
	if r.Routed {
		dst = append(dst, `,"routed":true`...)
	}
	if r.Offset != 0 {
		dst = append(dst, `,"offset":`...)
		dst = strconv.AppendUint(dst, r.Offset, 10)
	}
	return append(dst, '}')
}

// AppendMessageBody appends
// {"msg_id","from_uid","from_device","to_uid","content"[,"client_msg_id"],"ts"[,"offset","prev_offset"]}.
func AppendMessageBody(dst []byte, m *Message) []byte {
	dst = append(dst, `{"msg_id":`...)
	dst = appendString(dst, m.MsgID)
	dst = appendFrom(dst, m.FromUID, m.FromDevice)
	dst = append(dst, `,"to_uid":`...)
	dst = appendString(dst, m.ToUID)
	dst = appendContentTS(dst, m.Content, m.ClientMsgID, m.TS)
	if m.Offset != 0 {
		dst = appendOffsets(dst, m.Offset, m.PrevOffset)
	}
	return append(dst, '}')
}

// AppendKickedBody appends {"reason":…}.
func AppendKickedBody(dst []byte, reason string) []byte {
	dst = append(dst, `{"reason":`...)
	dst = appendString(dst, reason)
	return append(dst, '}')
}

// AppendReconnectBody appends {"reason":…,"retry_after_ms":…}.
func AppendReconnectBody(dst []byte, reason string, retryAfterMs int64) []byte {
	dst = append(dst, `{"reason":`...)
	dst = appendString(dst, reason)
	dst = append(dst, `,"retry_after_ms":`...)
	dst = appendInt(dst, retryAfterMs)
	return append(dst, '}')
}

// AppendDeliveredBody appends {"delivered":n} (POST /api/push).
func AppendDeliveredBody(dst []byte, n int) []byte {
	dst = append(dst, `{"delivered":`...)
	dst = appendInt(dst, int64(n))
	return append(dst, '}')
}

// AppendKickCountBody appends {"kicked":n} (POST /api/kick).
func AppendKickCountBody(dst []byte, n int) []byte {
	dst = append(dst, `{"kicked":`...)
	dst = appendInt(dst, int64(n))
	return append(dst, '}')
}

// appendFrom appends ,"from_uid":…,"from_device":… (MESSAGE and
// ROOM_MESSAGE bodies).
func appendFrom(dst []byte, fromUID, fromDevice string) []byte {
	dst = append(dst, `,"from_uid":`...)
	dst = appendString(dst, fromUID)
	dst = append(dst, `,"from_device":`...)
	return appendString(dst, fromDevice)
}

// appendContentTS appends ,"content":…[,"client_msg_id":…],"ts":…
// (MESSAGE and ROOM_MESSAGE bodies); client_msg_id is omitted when "".
func appendContentTS(dst, content []byte, clientMsgID string, ts int64) []byte {
	dst = append(dst, `,"content":`...)
	dst = appendRaw(dst, content)
	if clientMsgID != "" {
		dst = append(dst, `,"client_msg_id":`...)
		dst = appendString(dst, clientMsgID)
	}
	dst = append(dst, `,"ts":`...)
	return appendInt(dst, ts)
}
