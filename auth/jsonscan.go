package auth

import (
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// jscan reads the plain subset of JSON that tokens are made of, without
// allocating: objects of ASCII keys, strings without escapes, numbers,
// literals, arrays. It is the front half of the fast verifier
// (fastverify.go): whatever it does not recognise, or might read otherwise
// than encoding/json, makes the caller fall back to golang-jwt's parse, so
// it must never accept a text that encoding/json refuses or reads
// differently, and it may refuse anything it likes. Used by one goroutine at
// a time; the slices it returns alias its input.
type jscan struct {
	b []byte
	i int
}

// maxSkipDepth bounds the nesting of the values skipValue skips (encoding/json
// allows 10,000; deeper ones fall back to it).
const maxSkipDepth = 16

func (s *jscan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next byte after whitespace, 0 at the end.
func (s *jscan) peek() byte {
	s.ws()
	if s.i == len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// eat consumes c, after whitespace, and reports whether it was there.
func (s *jscan) eat(c byte) bool {
	if s.peek() != c {
		return false
	}
	s.i++
	return true
}

// end reports whether only whitespace is left.
func (s *jscan) end() bool { return s.peek() == 0 && s.i == len(s.b) }

// plainString reads a string that has no escape, no control character and
// valid UTF-8 (so that encoding/json would return exactly its bytes) and
// returns its content.
func (s *jscan) plainString() ([]byte, bool) {
	if !s.eat('"') {
		return nil, false
	}
	start := s.i
	for ; s.i < len(s.b); s.i++ {
		c := s.b[s.i]
		switch {
		case c == '"':
			v := s.b[start:s.i]
			s.i++
			return v, utf8.Valid(v)
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// skipString skips any valid JSON string, escapes included.
func (s *jscan) skipString() bool {
	if !s.eat('"') {
		return false
	}
	for s.i < len(s.b) {
		c := s.b[s.i]
		s.i++
		switch {
		case c == '"':
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if !s.skipEscape() {
				return false
			}
		}
	}
	return false
}

func (s *jscan) skipEscape() bool {
	if s.i == len(s.b) {
		return false
	}
	c := s.b[s.i]
	s.i++
	switch c {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return true
	case 'u':
		if len(s.b)-s.i < 4 {
			return false
		}
		for _, h := range s.b[s.i : s.i+4] {
			if !isHex(h) {
				return false
			}
		}
		s.i += 4
		return true
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// number reads a JSON number (RFC 8259 grammar) and returns its text.
func (s *jscan) number() ([]byte, bool) {
	s.ws()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case s.i < len(s.b) && '1' <= s.b[s.i] && s.b[s.i] <= '9':
		s.digits()
	default:
		return nil, false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if !s.digits() {
			return nil, false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if !s.digits() {
			return nil, false
		}
	}
	return s.b[start:s.i], true
}

// digits consumes one or more decimal digits.
func (s *jscan) digits() bool {
	start := s.i
	for s.i < len(s.b) && isDigit(s.b[s.i]) {
		s.i++
	}
	return s.i > start
}

// float reads a number as encoding/json stores it into a float64
// (strconv.ParseFloat of its text; out of range is an error there too).
func (s *jscan) float() (float64, bool) {
	t, ok := s.number()
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(t), len(t)), 64)
	return f, err == nil
}

// literal consumes true, false or null, whichever word is next.
func (s *jscan) literal(word string) bool {
	s.ws()
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return false
	}
	s.i += len(word)
	return true
}

// null consumes a null if one is next.
func (s *jscan) null() bool { return s.peek() == 'n' && s.literal("null") }

// skipValue skips any JSON value nested at most maxSkipDepth deep.
func (s *jscan) skipValue(depth int) bool {
	if depth > maxSkipDepth {
		return false
	}
	switch s.peek() {
	case '"':
		return s.skipString()
	case '{':
		s.i++
		return s.skipMembers(depth)
	case '[':
		s.i++
		if s.eat(']') {
			return true
		}
		for {
			if !s.skipValue(depth + 1) {
				return false
			}
			if s.eat(']') {
				return true
			}
			if !s.eat(',') {
				return false
			}
		}
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	}
	_, ok := s.number()
	return ok
}

// skipMembers skips an object's members after its '{'.
func (s *jscan) skipMembers(depth int) bool {
	if s.eat('}') {
		return true
	}
	for {
		if !s.skipString() || !s.eat(':') || !s.skipValue(depth+1) {
			return false
		}
		if s.eat('}') {
			return true
		}
		if !s.eat(',') {
			return false
		}
	}
}

// object reads a top-level object, calling member for each key with the
// scanner placed before the value; member reads the value and returns
// false to give up. Keys must be plain strings of printable ASCII. Only
// whitespace may follow the object.
func (s *jscan) object(member func(key []byte) bool) bool {
	if !s.eat('{') {
		return false
	}
	if !s.eat('}') {
		for {
			key, ok := s.plainString()
			if !ok || !printableASCII(key) || !s.eat(':') || !member(key) {
				return false
			}
			if s.eat('}') {
				break
			}
			if !s.eat(',') {
				return false
			}
		}
	}
	return s.end()
}

func printableASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// foldsTo reports whether key equals name except for ASCII case, which
// encoding/json's field matching ignores: such a key is the field for it,
// so a key that folds to a field's name without being it sends the token
// to the slow path. key must be ASCII (object checks it), where
// encoding/json's Unicode folding (ſ, K) cannot apply.
func foldsTo(key []byte, name string) bool {
	if len(key) != len(name) {
		return false
	}
	for i, c := range key {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != name[i] {
			return false
		}
	}
	return true
}
