package protocol

import (
	"errors"
	"strconv"
)

// Fixed err_msg texts and prefixes of the error table (PROTOCOL.md §3).
const (
	ErrMsgBadRequestPrefix    = "bad request: "
	ErrMsgNotAuthenticated    = "not authenticated"
	ErrMsgBadCredentials      = "invalid username or password"
	ErrMsgTokenExpired        = "token expired"
	ErrMsgInvalidRefreshToken = "invalid refresh token"
	ErrMsgForbiddenPrefix     = "forbidden: "
	ErrMsgMessageTooLarge     = "message too large"
	ErrMsgTooManyRequests     = "too many requests"
	ErrMsgInternal            = "internal error"
	ErrMsgClusterUnavailable  = "cluster unavailable"
	ErrMsgInboxUnavailable    = "inbox unavailable"

	// DetailBinaryFrame is the bad-request detail for a binary frame.
	DetailBinaryFrame = "binary frames are not supported"
)

// Error is a wire error: it becomes a response with the given code, a null
// body and err_msg Msg. Msg never contains a token, password or other secret.
type Error struct {
	Code int    // one of the Code constants
	Msg  string // the err_msg sent to the client
}

// Error returns "protocol: CODE MSG". The client sees Msg alone.
func (e *Error) Error() string {
	return "protocol: " + strconv.Itoa(e.Code) + " " + e.Msg
}

// Shared wire errors, one per fixed row of the error table. Do not modify them.
var (
	// ErrNotAuthenticated: the command needs an authenticated session.
	ErrNotAuthenticated = &Error{Code: CodeUnauthorized, Msg: ErrMsgNotAuthenticated}
	// ErrBadCredentials: LOGIN with an unknown user or a wrong password.
	ErrBadCredentials = &Error{Code: CodeUnauthorized, Msg: ErrMsgBadCredentials}
	// ErrTokenExpired: an expired refresh or access token.
	ErrTokenExpired = &Error{Code: CodeUnauthorized, Msg: ErrMsgTokenExpired}
	// ErrInvalidRefreshToken: an unknown, spent or revoked refresh token.
	ErrInvalidRefreshToken = &Error{Code: CodeUnauthorized, Msg: ErrMsgInvalidRefreshToken}
	// ErrMessageTooLarge: a message over -max-message-size (then close 1009).
	ErrMessageTooLarge = &Error{Code: CodeTooLarge, Msg: ErrMsgMessageTooLarge}
	// ErrTooManyRequests: login throttle or per-connection message rate.
	ErrTooManyRequests = &Error{Code: CodeTooManyRequests, Msg: ErrMsgTooManyRequests}
	// ErrInternal: anything the client cannot fix.
	ErrInternal = &Error{Code: CodeInternal, Msg: ErrMsgInternal}
	// ErrClusterUnavailable: cluster mode and the bus is down.
	ErrClusterUnavailable = &Error{Code: CodeUnavailable, Msg: ErrMsgClusterUnavailable}
	// ErrInboxUnavailable: the inbox store failed an append or a read
	// (PROTOCOL.md §8); nothing was delivered.
	ErrInboxUnavailable = &Error{Code: CodeUnavailable, Msg: ErrMsgInboxUnavailable}
	// ErrBinaryFrame: the client sent a binary frame.
	ErrBinaryFrame = BadRequest(DetailBinaryFrame)
)

// BadRequest returns a 400 error with err_msg "bad request: " + detail.
// detail must not contain secrets.
func BadRequest(detail string) *Error {
	return &Error{Code: CodeBadRequest, Msg: ErrMsgBadRequestPrefix + detail}
}

// Forbidden returns a 403 error with err_msg "forbidden: " + detail.
func Forbidden(detail string) *Error {
	return &Error{Code: CodeForbidden, Msg: ErrMsgForbiddenPrefix + detail}
}

// UnknownCommand returns the 400 error for a cmd_id the server does not serve.
func UnknownCommand(cmdID int) *Error {
	return BadRequest("unknown cmd_id " + strconv.Itoa(cmdID))
}

// AsError returns the *Error in err's chain, or ErrInternal when there is
// none (so that an unexpected error never leaks its text to a client), or nil
// when err is nil.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) && e != nil {
		return e
	}
	return ErrInternal
}

// Bad-request errors the decoders return for fixed conditions.
var (
	errNotObject      = BadRequest("message is not a JSON object")
	errInvalidUTF8    = BadRequest("invalid UTF-8")
	errBodyMissing    = BadRequest("body missing")
	errBodyNotObject  = BadRequest("body is not an object")
	errCmdIDMissing   = BadRequest("cmd_id missing")
	errContentMissing = BadRequest("content missing")
)

// Room errors of PROTOCOL.md §7. Do not modify them.
var (
	// ErrBadRoom: a room name that is not 1–128 bytes of [A-Za-z0-9_.:@/-].
	ErrBadRoom = BadRequest("room")
	// ErrTooManyRooms: a JOIN past -max-rooms-per-session.
	ErrTooManyRooms = BadRequest("too many rooms")
	// ErrRoomNotAllowed: a JOIN of a room neither open nor in the token's claim.
	ErrRoomNotAllowed = Forbidden("room not allowed")
	// ErrNotMember: a PUBLISH by a session that is not in the room.
	ErrNotMember = Forbidden("not a member")
	// ErrRoomReadOnly: a PUBLISH by a client to a read-only room.
	ErrRoomReadOnly = Forbidden("room is read-only")
)
