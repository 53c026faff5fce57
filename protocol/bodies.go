package protocol

// Login is the body of LOGIN (1001) and of POST /api/login:
// {"username","password"}. The strings alias the decoded input (see
// [Envelope]); Clone before handing them to another goroutine.
type Login struct {
	Username string
	Password string
}

// Refresh is the body of REFRESH (1004) and of POST /api/refresh-token:
// {"refresh_token"}.
type Refresh struct {
	RefreshToken string
}

// Send is the body of SEND (2001) and of POST /api/push:
// {"to_uid","content","client_msg_id"?}.
type Send struct {
	ToUID string
	// Content is the raw JSON value of "content" (any JSON value, null
	// included), validated; forward it verbatim in a MESSAGE push.
	Content []byte
	// ClientMsgID is "" when absent, null or empty.
	ClientMsgID string
}

// Kick is the body of POST /api/kick: {"user_id","device_id"?,"reason"?}.
type Kick struct {
	UserID   string
	DeviceID string // "" for every session of the user
	Reason   string // "" when absent
}

var (
	loginKeys   = []string{"username", "password"}
	refreshKeys = []string{"refresh_token"}
	sendKeys    = []string{"to_uid", "content", "client_msg_id"}
	kickKeys    = []string{"user_id", "device_id", "reason"}
)

// DecodeLogin decodes a LOGIN body: both fields are required non-empty
// strings, the username at most MaxIDLen bytes, the password at most
// MaxPasswordLen. Errors are *Error with code 400 and never quote the input.
// A nil body is "body missing".
func DecodeLogin(body []byte, l *Login) error {
	*l = Login{}
	if body == nil {
		return errBodyMissing
	}
	sc := getScratch()
	defer putScratch(sc)
	w := &sc.login
	if err := sc.decodeObject(body, w, errBodyNotObject); err != nil {
		return err
	}
	if err := checkUnique(loginKeys, &w.Username, &w.Password); err != nil {
		return err
	}
	var v Login
	var err error
	if v.Username, err = sc.str(&w.Username, "username", MaxIDLen, true); err != nil {
		return err
	}
	if v.Password, err = sc.str(&w.Password, "password", MaxPasswordLen, true); err != nil {
		return err
	}
	*l = v
	return nil
}

// DecodeRefresh decodes a REFRESH body: refresh_token is a required
// non-empty string of at most MaxRefreshTokenLen bytes.
func DecodeRefresh(body []byte, r *Refresh) error {
	*r = Refresh{}
	if body == nil {
		return errBodyMissing
	}
	sc := getScratch()
	defer putScratch(sc)
	w := &sc.refresh
	if err := sc.decodeObject(body, w, errBodyNotObject); err != nil {
		return err
	}
	if err := checkUnique(refreshKeys, &w.RefreshToken); err != nil {
		return err
	}
	var err error
	r.RefreshToken, err = sc.str(&w.RefreshToken, "refresh_token", MaxRefreshTokenLen, true)
	return err
}

// DecodeSend decodes a SEND body: to_uid is a required non-empty string of
// at most MaxIDLen bytes, content is required (any JSON value), client_msg_id
// is an optional string of at most MaxIDLen bytes. The fast path does not
// allocate.
func DecodeSend(body []byte, s *Send) error {
	*s = Send{}
	if body == nil {
		return errBodyMissing
	}
	sc := getScratch()
	defer putScratch(sc)
	w := &sc.send
	if err := sc.decodeObject(body, w, errBodyNotObject); err != nil {
		return err
	}
	if err := checkUnique(sendKeys, &w.ToUID, &w.Content, &w.ClientMsgID); err != nil {
		return err
	}
	var v Send
	var err error
	if v.ToUID, err = sc.str(&w.ToUID, "to_uid", MaxIDLen, true); err != nil {
		return err
	}
	if v.Content, v.ClientMsgID, err = sc.content(&w.Content, &w.ClientMsgID); err != nil {
		return err
	}
	*s = v
	return nil
}

// content checks a message's "content" (required, any JSON value) and
// "client_msg_id" (optional, at most MaxIDLen bytes) and returns them;
// the content aliases the decoded input (SEND and PUBLISH).
func (sc *scratch) content(content, clientMsgID *rawValue) ([]byte, string, error) {
	if content.n == 0 {
		return nil, "", errContentMissing
	}
	id, err := sc.str(clientMsgID, "client_msg_id", MaxIDLen, false)
	if err != nil {
		return nil, "", err
	}
	return content.b[:len(content.b):len(content.b)], id, nil
}

// DecodeKick decodes a POST /api/kick body: user_id is required (at most
// MaxIDLen bytes), device_id optional (MaxIDLen), reason optional
// (MaxReasonLen).
func DecodeKick(body []byte, k *Kick) error {
	*k = Kick{}
	if body == nil {
		return errBodyMissing
	}
	sc := getScratch()
	defer putScratch(sc)
	w := &sc.kick
	if err := sc.decodeObject(body, w, errBodyNotObject); err != nil {
		return err
	}
	if err := checkUnique(kickKeys, &w.UserID, &w.DeviceID, &w.Reason); err != nil {
		return err
	}
	var v Kick
	var err error
	if v.UserID, err = sc.str(&w.UserID, "user_id", MaxIDLen, true); err != nil {
		return err
	}
	if v.DeviceID, err = sc.str(&w.DeviceID, "device_id", MaxIDLen, false); err != nil {
		return err
	}
	if v.Reason, err = sc.str(&w.Reason, "reason", MaxReasonLen, false); err != nil {
		return err
	}
	*k = v
	return nil
}

// Clone returns a copy of l that does not alias the decoded input.
func (l Login) Clone() Login {
	a := newArena(len(l.Username) + len(l.Password))
	return Login{Username: a.str(l.Username), Password: a.str(l.Password)}
}

// Clone returns a copy of r that does not alias the decoded input.
func (r Refresh) Clone() Refresh {
	a := newArena(len(r.RefreshToken))
	return Refresh{RefreshToken: a.str(r.RefreshToken)}
}

// Clone returns a copy of s that does not alias the decoded input, in one
// allocation.
func (s Send) Clone() Send {
	a := newArena(len(s.ToUID) + len(s.Content) + len(s.ClientMsgID))
	return Send{ToUID: a.str(s.ToUID), Content: a.bytes(s.Content), ClientMsgID: a.str(s.ClientMsgID)}
}

// Clone returns a copy of k that does not alias the decoded input.
func (k Kick) Clone() Kick {
	a := newArena(len(k.UserID) + len(k.DeviceID) + len(k.Reason))
	return Kick{UserID: a.str(k.UserID), DeviceID: a.str(k.DeviceID), Reason: a.str(k.Reason)}
}
