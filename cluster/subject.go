package cluster

import "strconv"

// Subject prefixes (see the package doc).
const (
	UserSubjectPrefix = "gateway.user."
	UpSubjectPrefix   = "gateway.up."
)

// Header names the gateway reserves on user subjects.
const (
	// HeaderControl marks a control message and names its kind.
	HeaderControl = "Gateway-Control"
	// HeaderNode names the node that published a control message.
	HeaderNode = "Gateway-Node"
)

const hexDigits = "0123456789ABCDEF"

// plainByte reports whether c stands for itself in an escaped user ID.
func plainByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// EscapeUserID returns userID as one NATS subject token: bytes other than
// A–Z, a–z, 0–9, '-' and '_' become %XX (upper-case hex). It is injective,
// and the identity for IDs made of those characters only.
func EscapeUserID(userID string) string {
	n := 0
	for i := 0; i < len(userID); i++ {
		if !plainByte(userID[i]) {
			n++
		}
	}
	if n == 0 {
		return userID
	}
	b := make([]byte, 0, len(userID)+2*n)
	for i := 0; i < len(userID); i++ {
		c := userID[i]
		if plainByte(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return string(b)
}

// UserSubject is the subject of pushes to userID ("gateway.user." + the
// escaped ID). userID must not be empty.
func UserSubject(userID string) string {
	return UserSubjectPrefix + EscapeUserID(userID)
}

// UpSubject is the subject backends serve cmdID on ("gateway.up.10001").
func UpSubject(cmdID int) string {
	return UpSubjectPrefix + strconv.Itoa(cmdID)
}

// UserFromSubject returns the user ID of a user subject; ok is false for
// any other subject and for an escape that EscapeUserID would not write.
func UserFromSubject(subject string) (userID string, ok bool) {
	if len(subject) <= len(UserSubjectPrefix) || subject[:len(UserSubjectPrefix)] != UserSubjectPrefix {
		return "", false
	}
	return unescapeUserID(subject[len(UserSubjectPrefix):])
}

// unescapeUserID inverts EscapeUserID exactly (so that one user has one
// subject): only plain bytes and %XX with upper-case hex of a non-plain byte.
func unescapeUserID(tok string) (string, bool) {
	esc := 0
	for i := 0; i < len(tok); i++ {
		switch c := tok[i]; {
		case plainByte(c):
		case c == '%':
			esc++
		default:
			return "", false
		}
	}
	if esc == 0 {
		return tok, true
	}
	b := make([]byte, 0, len(tok))
	for i := 0; i < len(tok); i++ {
		if tok[i] != '%' {
			b = append(b, tok[i])
			continue
		}
		if i+2 >= len(tok) {
			return "", false
		}
		hi, lo := unhex(tok[i+1]), unhex(tok[i+2])
		if hi < 0 || lo < 0 || plainByte(byte(hi<<4|lo)) {
			return "", false
		}
		b = append(b, byte(hi<<4|lo))
		i += 2
	}
	return string(b), true
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
