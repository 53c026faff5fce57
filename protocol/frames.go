package protocol

// Pieces of the first frame (PROTOCOL.md §2), in the documented field order.
const (
	helloAuthHead   = `{"code":200,"body":{"message":"` + MsgConnectedAuthenticated + `","session_id":`
	helloAnonHead   = `{"code":200,"body":{"message":"` + MsgConnectedAnonymous + `","session_id":`
	helloInvalid    = `{"code":401,"body":null,"err_msg":"` + MsgTokenInvalid + `"}`
	helloExpired    = `{"code":401,"body":null,"err_msg":"` + MsgTokenExpiredHello + `"}`
	okTail          = `,"err_msg":""}`
	tokenExpiredMsg = `{"cmd_id":3004,"code":401,"body":null,"err_msg":"` + ErrMsgTokenExpired + `"}`
)

// AppendHelloAuthenticated appends the first frame for a valid token:
//
//	{"code":200,"body":{"message":"Connected and authenticated successfully","session_id":"…","user_id":"…","expires_at":1790000000},"err_msg":""}
//
// expiresAt is the token's exp in Unix seconds.
func AppendHelloAuthenticated(dst []byte, sessionID, userID string, expiresAt int64) []byte {
	dst = append(dst, helloAuthHead...)
	dst = appendString(dst, sessionID)
	dst = append(dst, `,"user_id":`...)
	dst = appendString(dst, userID)
	dst = append(dst, `,"expires_at":`...)
	dst = appendInt(dst, expiresAt)
	dst = append(dst, '}')
	return append(dst, okTail...)
}

// AppendHelloAnonymous appends the first frame for a connection without a
// token:
//
//	{"code":200,"body":{"message":"Connected successfully. Please login or provide token.","session_id":"…"},"err_msg":""}
func AppendHelloAnonymous(dst []byte, sessionID string) []byte {
	dst = append(dst, helloAnonHead...)
	dst = appendString(dst, sessionID)
	dst = append(dst, '}')
	return append(dst, okTail...)
}

// AppendHelloInvalidToken appends the first frame for an invalid token:
//
//	{"code":401,"body":null,"err_msg":"Token authentication failed. Please login."}
func AppendHelloInvalidToken(dst []byte) []byte {
	return append(dst, helloInvalid...)
}

// AppendHelloExpiredToken appends the first frame for an expired token:
//
//	{"code":401,"body":null,"err_msg":"Token authentication failed: token expired. Please login."}
func AppendHelloExpiredToken(dst []byte) []byte {
	return append(dst, helloExpired...)
}

// AppendResponseHead appends the part of a response before its body:
//
//	{"cmd_id":1001,"seq":7,"code":200,"body":
//
// with cmd_id and seq only as ref has them. Follow it with one JSON value
// (a body encoder, or "null") and [AppendResponseTail]; that builds a
// response in one buffer with no intermediate copy.
func AppendResponseHead(dst []byte, ref Ref, code int) []byte {
	dst = append(dst, '{')
	if ref.HasCmdID {
		dst = append(dst, `"cmd_id":`...)
		dst = appendInt(dst, int64(ref.CmdID))
		dst = append(dst, ',')
	}
	if ref.HasSeq {
		dst = append(dst, `"seq":`...)
		dst = appendInt(dst, ref.Seq)
		dst = append(dst, ',')
	}
	dst = append(dst, `"code":`...)
	dst = appendInt(dst, int64(code))
	return append(dst, `,"body":`...)
}

// AppendResponseTail appends the part of a response after its body:
// ,"err_msg":"…"}.
func AppendResponseTail(dst []byte, errMsg string) []byte {
	if errMsg == "" {
		return append(dst, okTail...)
	}
	dst = append(dst, `,"err_msg":`...)
	dst = appendString(dst, errMsg)
	return append(dst, '}')
}

// AppendResponse appends a complete response
// {"cmd_id","seq"?,"code","body","err_msg"}. body is pre-encoded JSON and
// is embedded verbatim (it must be valid); nil or empty gives null. With the
// zero Ref it appends the {"code","body","err_msg"} shape of the first frame
// and of HTTP API replies; with [Push] it appends a push.
func AppendResponse(dst []byte, ref Ref, code int, body []byte, errMsg string) []byte {
	dst = AppendResponseHead(dst, ref, code)
	dst = appendRaw(dst, body)
	return AppendResponseTail(dst, errMsg)
}

// AppendOK appends a code-200 response with the given body and err_msg "".
func AppendOK(dst []byte, ref Ref, body []byte) []byte {
	return AppendResponse(dst, ref, CodeOK, body, "")
}

// AppendError appends the response for a wire error: its code, body null,
// err_msg e.Msg. A nil e is treated as ErrInternal.
func AppendError(dst []byte, ref Ref, e *Error) []byte {
	if e == nil {
		e = ErrInternal
	}
	return AppendResponse(dst, ref, e.Code, nil, e.Msg)
}

// AppendPush appends a push {"cmd_id","code","body","err_msg"} (no seq).
func AppendPush(dst []byte, cmdID, code int, body []byte, errMsg string) []byte {
	return AppendResponse(dst, Push(cmdID), code, body, errMsg)
}

// AppendMessagePush appends the MESSAGE (3001) push for m in one pass:
//
//	{"cmd_id":3001,"code":200,"body":{"msg_id",…,"ts"},"err_msg":""}
func AppendMessagePush(dst []byte, m *Message) []byte {
	dst = append(dst, `{"cmd_id":3001,"code":200,"body":`...)
	dst = AppendMessageBody(dst, m)
	return append(dst, okTail...)
}

// AppendKickedPush appends the KICKED (3003) push {"reason":…}.
func AppendKickedPush(dst []byte, reason string) []byte {
	dst = append(dst, `{"cmd_id":3003,"code":200,"body":`...)
	dst = AppendKickedBody(dst, reason)
	return append(dst, okTail...)
}

// AppendTokenExpiredPush appends the TOKEN_EXPIRED (3004) push:
//
//	{"cmd_id":3004,"code":401,"body":null,"err_msg":"token expired"}
func AppendTokenExpiredPush(dst []byte) []byte {
	return append(dst, tokenExpiredMsg...)
}

// AppendReconnectPush appends the RECONNECT (3005) push
// {"reason":…,"retry_after_ms":…}.
func AppendReconnectPush(dst []byte, reason string, retryAfterMs int64) []byte {
	dst = append(dst, `{"cmd_id":3005,"code":200,"body":`...)
	dst = AppendReconnectBody(dst, reason, retryAfterMs)
	return append(dst, okTail...)
}
