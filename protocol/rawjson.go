package protocol

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"sync"
	"unsafe"

	"github.com/bytedance/sonic/decoder"
	"github.com/bytedance/sonic/utf8"
)

// Decoder options. Keys match exactly, and values are validated as JSON when
// sonic skips over them, with two gaps this package fills:
//
//   - Raw control characters in strings are refused only with ValidateString,
//     which doubles the cost of a decode; it is used only for input that has
//     a byte below 0x20 at all (valid JSON has them only as whitespace, which
//     JSON.stringify never emits). UTF-8, the other thing ValidateString
//     checks, is validated beforehand.
//   - sonic v1.15.5 does not validate escape sequences in strings that it
//     scans 32 or 64 bytes at a time (even with ValidateString), so input
//     holding a backslash has its escapes checked by badEscape.
const (
	fastOpts   = decoder.OptionCaseSensitive
	decodeOpts = fastOpts | decoder.OptionValidateString
)

// rawValue receives the raw JSON text of one object member from sonic. b
// aliases the decoder's input; n counts how often the key occurred.
type rawValue struct {
	b []byte
	n uint8
}

// UnmarshalJSON implements json.Unmarshaler for sonic; sonic hands over a
// validated slice of its input, which is kept without copying.
func (r *rawValue) UnmarshalJSON(b []byte) error {
	r.b = b
	if r.n < 2 {
		r.n++
	}
	return nil
}

// absent reports whether the key was missing or its value null.
func (r *rawValue) absent() bool {
	return r.n == 0 || (len(r.b) == 4 && string(r.b) == "null")
}

// The wire shapes sonic decodes into. Every field is raw so that this package,
// not sonic, decides on types, presence and duplicates.
type (
	wireEnvelope struct {
		CmdID    rawValue `json:"cmd_id"`
		Seq      rawValue `json:"seq"`
		FromUID  rawValue `json:"from_uid"`
		DeviceID rawValue `json:"device_id"`
		Platform rawValue `json:"platform"`
		Body     rawValue `json:"body"`
	}
	wireLogin struct {
		Username rawValue `json:"username"`
		Password rawValue `json:"password"`
	}
	wireRefresh struct {
		RefreshToken rawValue `json:"refresh_token"`
	}
	wireSend struct {
		ToUID       rawValue `json:"to_uid"`
		Content     rawValue `json:"content"`
		ClientMsgID rawValue `json:"client_msg_id"`
	}
	wireKick struct {
		UserID   rawValue `json:"user_id"`
		DeviceID rawValue `json:"device_id"`
		Reason   rawValue `json:"reason"`
	}
	wireBackendReply struct {
		Code   rawValue `json:"code"`
		Body   rawValue `json:"body"`
		ErrMsg rawValue `json:"err_msg"`
	}
)

// scratch is the per-call state of a decode. It is pooled because sonic's
// decoder and targets escape to the heap; pooling makes the fast path
// allocation-free.
type scratch struct {
	dec     decoder.Decoder
	env     wireEnvelope
	login   wireLogin
	refresh wireRefresh
	send    wireSend
	kick    wireKick
	backend wireBackendReply
	unq     string
	escapes bool // the input holds a backslash
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

// putScratch clears every reference into the caller's input before pooling.
func putScratch(sc *scratch) {
	*sc = scratch{}
	scratchPool.Put(sc)
}

// decodeObject decodes data, which must be one JSON object in valid UTF-8,
// into target (a field of sc). notObject is returned when data does not start
// with '{'.
func (sc *scratch) decodeObject(data []byte, target any, notObject *Error) error {
	if !startsObject(data) {
		return notObject
	}
	if !utf8.Validate(data) {
		return errInvalidUTF8
	}
	opts := fastOpts
	if hasControl(data) {
		opts = decodeOpts
	}
	sc.dec.Reset(unsafe.String(unsafe.SliceData(data), len(data)))
	sc.dec.SetOptions(opts)
	err := sc.dec.Decode(target)
	if err == nil {
		err = sc.dec.CheckTrailings()
	}
	if err != nil {
		return syntaxError(err)
	}
	if at := bytes.IndexByte(data, '\\'); at >= 0 {
		sc.escapes = true
		if at = badEscape(data, at); at >= 0 {
			return BadRequest("invalid JSON at offset " + strconv.Itoa(at))
		}
	}
	return nil
}

// syntaxError maps a sonic error to a 400 that names only the offset: sonic's
// own text quotes the input, which may hold a password.
func syntaxError(err error) *Error {
	if se, ok := err.(decoder.SyntaxError); ok {
		return BadRequest("invalid JSON at offset " + strconv.Itoa(se.Pos))
	}
	return BadRequest("invalid JSON")
}

// hasControl reports whether b has a byte below 0x20, eight bytes at a time:
// with ones = 0x01 and highs = 0x80 in every byte, (x - ones*0x20) & ^x &
// highs is non-zero exactly when some byte of x is below 0x20.
func hasControl(b []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		if (x-ones*0x20)&^x&highs != 0 {
			return true
		}
	}
	for ; i < len(b); i++ {
		if b[i] < 0x20 {
			return true
		}
	}
	return false
}

// badEscape returns the offset of the first invalid escape sequence in b, or
// -1; at is the offset of the first backslash. b must be JSON that sonic
// accepted: a backslash then occurs only inside a string, where escapes
// follow each other without overlap, so every backslash not consumed by the
// escape before it starts an escape.
func badEscape(b []byte, at int) int {
	for {
		n := escapeLen(b[at+1:])
		if n == 0 {
			return at
		}
		off := at + 1 + n
		i := bytes.IndexByte(b[off:], '\\')
		if i < 0 {
			return -1
		}
		at = off + i
	}
}

// escapeLen returns how many bytes after a backslash form a valid escape
// (1, or 5 for \uXXXX), or 0 when they do not.
func escapeLen(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	switch b[0] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 1
	case 'u':
		if len(b) < 5 {
			return 0
		}
		for _, c := range b[1:5] {
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return 0
			}
		}
		return 5
	}
	return 0
}

// startsObject reports whether the first non-whitespace byte is '{'.
func startsObject(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '{':
			return true
		}
		return false
	}
	return false
}

// checkUnique returns a 400 naming the first key that occurred twice.
func checkUnique(names []string, vals ...*rawValue) error {
	for i, v := range vals {
		if v.n > 1 {
			return BadRequest("duplicate key " + names[i])
		}
	}
	return nil
}

// str returns the string value of r. Absent or null gives "" (an error
// "NAME missing" when required). An empty string is an error when required.
// Without escapes the result aliases the input.
func (sc *scratch) str(r *rawValue, name string, maxLen int, required bool) (string, error) {
	if r.absent() {
		if required {
			return "", BadRequest(name + " missing")
		}
		return "", nil
	}
	b := r.b
	if b[0] != '"' {
		return "", BadRequest(name + " is not a string")
	}
	inner := b[1 : len(b)-1]
	var s string
	switch {
	case !sc.escapes || bytes.IndexByte(inner, '\\') < 0:
		s = unsafe.String(unsafe.SliceData(inner), len(inner))
	case len(inner) > 6*maxLen: // even all \uXXXX escapes would be too long
		return "", BadRequest(name + " too long")
	default:
		var err error
		if s, err = sc.unescape(b); err != nil {
			return "", BadRequest("invalid escape in " + name)
		}
	}
	switch {
	case s == "" && required:
		return "", BadRequest(name + " is empty")
	case len(s) > maxLen:
		return "", BadRequest(name + " too long")
	}
	return s, nil
}

// unescape decodes a quoted JSON string with escapes into a new string,
// refusing escaped lone surrogates.
func (sc *scratch) unescape(quoted []byte) (string, error) {
	sc.dec.Reset(unsafe.String(unsafe.SliceData(quoted), len(quoted)))
	sc.dec.SetOptions(decodeOpts | decoder.OptionUseUnicodeErrors | decoder.OptionCopyString)
	sc.unq = ""
	err := sc.dec.Decode(&sc.unq)
	return sc.unq, err
}

// integer returns the value of r, which must be a JSON integer that fits in
// bitSize bits. ok is false when r is absent or null.
func integer(r *rawValue, name string, bitSize uint) (v int64, ok bool, err error) {
	if r.absent() {
		return 0, false, nil
	}
	digits, neg := r.b, false
	if digits[0] == '-' {
		digits, neg = digits[1:], true
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false, BadRequest(name + " is not an integer")
		}
	}
	// sonic validated the number: at least one digit, no leading zeros.
	limit := uint64(1) << (bitSize - 1) // -limit .. limit-1
	if len(digits) > 19 {               // 19 digits cannot overflow uint64
		return 0, false, BadRequest(name + " out of range")
	}
	var u uint64
	for _, c := range digits {
		u = u*10 + uint64(c-'0')
	}
	switch {
	case neg && u <= limit:
		return -int64(u), true, nil // wraps to the right value for u == 1<<63
	case !neg && u < limit:
		return int64(u), true, nil
	}
	return 0, false, BadRequest(name + " out of range")
}

// object returns r's raw value when it is a JSON object, nil when absent or
// null. The slice's capacity is cut to its length so appends cannot clobber
// the input after it.
func object(r *rawValue) ([]byte, error) {
	if r.absent() {
		return nil, nil
	}
	if r.b[0] != '{' {
		return nil, errBodyNotObject
	}
	return r.b[:len(r.b):len(r.b)], nil
}

// arena copies several strings and byte slices into one allocation; Clone
// methods use it so that a copy costs one allocation.
type arena []byte

func newArena(n int) arena { return make(arena, 0, n) }

func (a *arena) str(s string) string {
	if s == "" {
		return ""
	}
	start := len(*a)
	*a = append(*a, s...)
	b := (*a)[start:]
	return unsafe.String(unsafe.SliceData(b), len(b))
}

func (a *arena) bytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	start := len(*a)
	*a = append(*a, b...)
	return (*a)[start:len(*a):len(*a)]
}
