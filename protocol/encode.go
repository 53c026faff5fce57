package protocol

import (
	"strconv"

	"github.com/bytedance/sonic/encoder"
	"github.com/bytedance/sonic/utf8"
)

// appendString appends s as a JSON string. A string that needs no escaping
// (the common case for ids) is copied as it is; any other is quoted by sonic
// after invalid UTF-8 has been replaced by U+FFFD.
func appendString(dst []byte, s string) []byte {
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' {
			return appendQuoted(dst, s)
		}
		if c >= 0x80 {
			ascii = false
		}
	}
	if !ascii && !utf8.ValidateString(s) {
		return appendQuoted(dst, s)
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// appendQuoted is appendString's slow path.
func appendQuoted(dst []byte, s string) []byte {
	if !utf8.ValidateString(s) {
		s = string(utf8.CorrectWith(nil, []byte(s), "\ufffd"))
	}
	return append(dst, encoder.Quote(s)...)
}

// appendRaw appends pre-encoded JSON, or null for an empty one.
func appendRaw(dst, raw []byte) []byte {
	if len(raw) == 0 {
		return append(dst, "null"...)
	}
	return append(dst, raw...)
}

func appendInt(dst []byte, v int64) []byte {
	return strconv.AppendInt(dst, v, 10)
}
