package engine

import "unicode/utf8"

// validUTF8Prefix reports whether b is valid UTF-8 except that it may end in
// the first bytes of a sequence that could still become valid. It returns
// the length of the complete part. A text message split over fragments is
// checked with it piece by piece, so a message that is already invalid fails
// at the fragment that makes it so.
func validUTF8Prefix(b []byte) (complete int, ok bool) {
	if utf8.Valid(b) {
		return len(b), true
	}
	// Find the start of the last (possibly incomplete) sequence: at most 3
	// bytes back from the end.
	start := len(b)
	for i := len(b) - 1; i >= 0 && i >= len(b)-3; i-- {
		if b[i]&0xC0 != 0x80 {
			start = i
			break
		}
	}
	if start == len(b) || !utf8.Valid(b[:start]) {
		return 0, false
	}
	return start, couldStartRune(b[start:])
}

// couldStartRune reports whether p (1–3 bytes) is a proper prefix of some
// valid UTF-8 encoding (no overlong forms, surrogates or code points above
// U+10FFFF).
func couldStartRune(p []byte) bool {
	need := 0
	lo, hi := byte(0x80), byte(0xBF)
	switch c := p[0]; {
	case c >= 0xC2 && c <= 0xDF:
		need = 2
	case c == 0xE0:
		need, lo = 3, 0xA0
	case c == 0xED:
		need, hi = 3, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		need = 3
	case c == 0xF0:
		need, lo = 4, 0x90
	case c == 0xF4:
		need, hi = 4, 0x8F
	case c >= 0xF1 && c <= 0xF3:
		need = 4
	default:
		return false
	}
	if len(p) >= need {
		return false // complete yet invalid
	}
	for i, c := range p[1:] {
		if i == 0 && (c < lo || c > hi) || c < 0x80 || c > 0xBF {
			return false
		}
	}
	return true
}
