package protocol

// Backend commands: in cluster mode a command with cmd_id >= MinBackendCmd is
// forwarded to the backends subscribed to its NATS subject as a
// BackendRequest, and their reply becomes the client's response.

// MinBackendCmd is the lowest cmd_id that is forwarded to backends.
const MinBackendCmd = 10000

// MaxBackendErrLen bounds the err_msg of a backend reply, in bytes.
const MaxBackendErrLen = 1024

// BackendRequest is what a backend receives for a client command:
//
//	{"cmd_id":10001,"user_id","session_id","device_id","platform","seq"?,"body"}
//
// seq is present when the client's request had one; body is the request's
// body object or null.
type BackendRequest struct {
	Ref       Ref // cmd_id and seq of the client's request
	UserID    string
	SessionID string
	DeviceID  string
	Platform  string
	Body      []byte // raw JSON object; nil gives null
}

// AppendBackendRequest appends r as JSON.
func AppendBackendRequest(dst []byte, r *BackendRequest) []byte {
	dst = append(dst, `{"cmd_id":`...)
	dst = appendInt(dst, int64(r.Ref.CmdID))
	dst = append(dst, `,"user_id":`...)
	dst = appendString(dst, r.UserID)
	dst = append(dst, `,"session_id":`...)
	dst = appendString(dst, r.SessionID)
	dst = append(dst, `,"device_id":`...)
	dst = appendString(dst, r.DeviceID)
	dst = append(dst, `,"platform":`...)
	dst = appendString(dst, r.Platform)
	if r.Ref.HasSeq {
		dst = append(dst, `,"seq":`...)
		dst = appendInt(dst, r.Ref.Seq)
	}
	dst = append(dst, `,"body":`...)
	dst = appendRaw(dst, r.Body)
	return append(dst, '}')
}

// BackendReply is a backend's answer to a BackendRequest:
//
//	{"code"?,"body"?,"err_msg"?}
//
// code defaults to 200 and must be 100–599; body is an object or null;
// err_msg is a string of at most MaxBackendErrLen bytes. The gateway adds
// cmd_id and seq when it answers the client.
type BackendReply struct {
	Code   int
	Body   []byte // raw JSON object, nil for null or absent; aliases the input
	ErrMsg string // may alias the input
}

var backendReplyKeys = []string{"code", "body", "err_msg"}

// DecodeBackendReply decodes a backend's reply into r. Errors are *Error
// with code 400 (the gateway answers its client 500: the fault is the
// backend's).
func DecodeBackendReply(data []byte, r *BackendReply) error {
	*r = BackendReply{}
	sc := getScratch()
	defer putScratch(sc)
	w := &sc.backend
	if err := sc.decodeObject(data, w, errNotObject); err != nil {
		return err
	}
	if err := checkUnique(backendReplyKeys, &w.Code, &w.Body, &w.ErrMsg); err != nil {
		return err
	}
	v := BackendReply{Code: CodeOK}
	code, ok, err := integer(&w.Code, "code", 32)
	switch {
	case err != nil:
		return err
	case ok && (code < 100 || code > 599):
		return BadRequest("code out of range")
	case ok:
		v.Code = int(code)
	}
	if v.Body, err = object(&w.Body); err != nil {
		return err
	}
	if v.ErrMsg, err = sc.str(&w.ErrMsg, "err_msg", MaxBackendErrLen, false); err != nil {
		return err
	}
	*r = v
	return nil
}
