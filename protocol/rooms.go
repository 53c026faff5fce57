package protocol

// Room commands and pushes (PROTOCOL.md §3, §6, §7).
const (
	CmdJoin        = 2101 // JOIN: the session joins a room
	CmdLeave       = 2102 // LEAVE: the session leaves a room
	CmdPublish     = 2103 // PUBLISH: a message to a room's members
	CmdRoomMessage = 3101 // ROOM_MESSAGE push
	CmdBroadcast   = 3102 // BROADCAST push
)

// MaxRoomLen is the longest room name, in bytes.
const MaxRoomLen = 128

// ValidRoom reports whether name is a valid room name: 1–128 bytes of
// [A-Za-z0-9_.:@/-].
func ValidRoom(name string) bool {
	if name == "" || len(name) > MaxRoomLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '_' || c == '.' || c == ':' || c == '@' || c == '/' || c == '-') {
			return false
		}
	}
	return true
}

// Publish is the body of PUBLISH (2103) and of POST /api/rooms/publish:
// {"room","content","client_msg_id"?}. Strings alias the input; Clone
// before handing them to another goroutine.
type Publish struct {
	Room        string
	Content     []byte // raw JSON, validated
	ClientMsgID string // "" when absent
}

// RoomMember is the body of POST /api/rooms/join and /leave:
// {"user_id","room"}.
type RoomMember struct {
	UserID string
	Room   string
}

// RoomMessage is the body of a ROOM_MESSAGE (3101) push.
type RoomMessage struct {
	Room        string
	MsgID       string
	FromUID     string // "" for a backend
	FromDevice  string
	Content     []byte // raw JSON; empty gives null
	ClientMsgID string // omitted when ""
	TS          int64  // Unix milliseconds
}

type (
	wireRoom struct {
		Room rawValue `json:"room"`
	}
	wirePublish struct {
		Room        rawValue `json:"room"`
		Content     rawValue `json:"content"`
		ClientMsgID rawValue `json:"client_msg_id"`
	}
	wireRoomMember struct {
		UserID rawValue `json:"user_id"`
		Room   rawValue `json:"room"`
	}
	wireContent struct {
		Content rawValue `json:"content"`
	}
)

// room returns the room name in r, checked with ValidRoom.
func (sc *scratch) room(r *rawValue) (string, error) {
	if r.n > 1 {
		return "", BadRequest("duplicate key room")
	}
	s, err := sc.str(r, "room", MaxRoomLen, true)
	if err != nil || !ValidRoom(s) {
		return "", ErrBadRoom
	}
	return s, nil
}

// DecodeRoom decodes a JOIN or LEAVE body {"room"}; a missing or invalid
// name is ErrBadRoom. The name aliases body.
func DecodeRoom(body []byte) (string, error) {
	if body == nil {
		return "", errBodyMissing
	}
	sc := getScratch()
	defer putScratch(sc)
	var w wireRoom
	if err := sc.decodeObject(body, &w, errBodyNotObject); err != nil {
		return "", err
	}
	return sc.room(&w.Room)
}

// DecodePublish decodes a PUBLISH body.
func DecodePublish(body []byte, p *Publish) error {
	*p = Publish{}
	if body == nil {
		return errBodyMissing
	}
	sc := getScratch()
	defer putScratch(sc)
	var w wirePublish
	if err := sc.decodeObject(body, &w, errBodyNotObject); err != nil {
		return err
	}
	if err := checkUnique(sendKeys[1:], &w.Content, &w.ClientMsgID); err != nil {
		return err
	}
	var v Publish
	var err error
	if v.Room, err = sc.room(&w.Room); err != nil {
		return err
	}
	if v.Content, v.ClientMsgID, err = sc.content(&w.Content, &w.ClientMsgID); err != nil {
		return err
	}
	*p = v
	return nil
}

// DecodeRoomMember decodes {"user_id","room"}.
func DecodeRoomMember(body []byte, m *RoomMember) error {
	*m = RoomMember{}
	if body == nil {
		return errBodyMissing
	}
	sc := getScratch()
	defer putScratch(sc)
	var w wireRoomMember
	if err := sc.decodeObject(body, &w, errBodyNotObject); err != nil {
		return err
	}
	if err := checkUnique(kickKeys[:1], &w.UserID); err != nil {
		return err
	}
	var v RoomMember
	var err error
	if v.UserID, err = sc.str(&w.UserID, "user_id", MaxIDLen, true); err != nil {
		return err
	}
	if v.Room, err = sc.room(&w.Room); err != nil {
		return err
	}
	*m = v
	return nil
}

// DecodeContent decodes {"content"} (POST /api/broadcast) and returns the
// raw JSON of content, aliasing body.
func DecodeContent(body []byte) ([]byte, error) {
	if body == nil {
		return nil, errBodyMissing
	}
	sc := getScratch()
	defer putScratch(sc)
	var w wireContent
	if err := sc.decodeObject(body, &w, errBodyNotObject); err != nil {
		return nil, err
	}
	if err := checkUnique(sendKeys[1:2], &w.Content); err != nil {
		return nil, err
	}
	if w.Content.n == 0 {
		return nil, errContentMissing
	}
	return w.Content.b[:len(w.Content.b):len(w.Content.b)], nil
}

// Clone returns a copy of p that does not alias the decoded input.
func (p Publish) Clone() Publish {
	a := newArena(len(p.Room) + len(p.Content) + len(p.ClientMsgID))
	return Publish{Room: a.str(p.Room), Content: a.bytes(p.Content), ClientMsgID: a.str(p.ClientMsgID)}
}

// AppendRoomMessagePush appends the ROOM_MESSAGE (3101) push:
//
//	{"cmd_id":3101,"code":200,"body":{"room","msg_id","from_uid","from_device","content"[,"client_msg_id"],"ts"},"err_msg":""}
func AppendRoomMessagePush(dst []byte, m *RoomMessage) []byte {
	dst = append(dst, `{"cmd_id":3101,"code":200,"body":`...)
	dst = AppendRoomMessageBody(dst, m)
	return append(dst, okTail...)
}

// AppendRoomMessageBody appends the body of a ROOM_MESSAGE push.
func AppendRoomMessageBody(dst []byte, m *RoomMessage) []byte {
	dst = append(dst, `{"room":`...)
	dst = appendString(dst, m.Room)
	dst = append(dst, `,"msg_id":`...)
	dst = appendString(dst, m.MsgID)
	dst = appendFrom(dst, m.FromUID, m.FromDevice)
	dst = appendContentTS(dst, m.Content, m.ClientMsgID, m.TS)
	return append(dst, '}')
}

// AppendBroadcastPush appends the BROADCAST (3102) push:
//
//	{"cmd_id":3102,"code":200,"body":{"msg_id","content","ts"},"err_msg":""}
func AppendBroadcastPush(dst []byte, msgID string, content []byte, ts int64) []byte {
	dst = append(dst, `{"cmd_id":3102,"code":200,"body":{"msg_id":`...)
	dst = appendString(dst, msgID)
	dst = append(dst, `,"content":`...)
	dst = appendRaw(dst, content)
	dst = append(dst, `,"ts":`...)
	dst = appendInt(dst, ts)
	dst = append(dst, '}')
	return append(dst, okTail...)
}

// AppendRoomBody appends {"room":…} (JOIN and LEAVE success).
func AppendRoomBody(dst []byte, room string) []byte {
	dst = append(dst, `{"room":`...)
	dst = appendString(dst, room)
	return append(dst, '}')
}

// AppendCountBody appends {"KEY":n}; key must need no escaping.
func AppendCountBody(dst []byte, key string, n int) []byte {
	dst = append(dst, `{"`...)
	dst = append(dst, key...)
	dst = append(dst, `":`...)
	dst = appendInt(dst, int64(n))
	return append(dst, '}')
}
