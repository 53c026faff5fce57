package engine

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"unsafe"

	"github.com/gobwas/ws"
)

// upgrader runs gobwas/ws's Upgrader over a complete request head. There is
// one per loop: its scratch state belongs to the upgrade in progress.
type upgrader struct {
	u   ws.Upgrader
	rd  bytes.Reader
	out []byte // the response gobwas wrote; valid until the next upgrade
	req Request
	// The three places a token can come from; the first non-empty wins.
	queryToken, headerToken, protoToken []byte
	scratch                             []byte      // percent-decoding space
	origins                             *originList // nil: any Origin
	path                                []byte      // Admission.WSPath; nil: any path
	pmd                                 byte        // Conn.pmd negotiated by this upgrade
}

func newUpgrader() *upgrader {
	// scratch is never nil, so that keep marks an empty value as seen.
	up := &upgrader{scratch: make([]byte, 0, 256)}
	up.u = ws.Upgrader{
		OnRequest:      up.onRequest,
		OnHeader:       up.onHeader,
		ProtocolCustom: up.onProtocol,
	}
	return up
}

// Read and Write make the upgrader the io.ReadWriter gobwas reads the head
// from and writes its response to.
func (up *upgrader) Read(p []byte) (int, error)  { return up.rd.Read(p) }
func (up *upgrader) Write(p []byte) (int, error) { up.out = append(up.out, p...); return len(p), nil }

// upgrade parses head (the request up to and including its blank line). It
// returns the response to send, and whether the upgrade succeeded. On
// success up.req holds copies of the request's values.
func (up *upgrader) upgrade(head []byte) (resp []byte, ok bool) {
	up.reset()
	up.rd.Reset(head)
	_, err := up.u.Upgrade(up)
	if err != nil {
		if len(up.out) == 0 {
			return responseFor(http.StatusBadRequest), false
		}
		return up.out, false
	}
	up.pickToken()
	return up.out, true
}

func (up *upgrader) reset() {
	up.out = up.out[:0]
	up.req = Request{}
	up.queryToken, up.headerToken, up.protoToken = nil, nil, nil
	up.scratch = up.scratch[:0]
	up.pmd = 0
}

// pickToken sets req.Token to the first token found. The string aliases
// up.scratch, which the next upgrade on this loop overwrites: Request.Token
// is valid only until OnOpen returns (a copy per connect was 150–300 bytes
// of garbage; the handler verifies the token and drops it).
func (up *upgrader) pickToken() {
	switch {
	case len(up.queryToken) > 0:
		up.req.Token, up.req.TokenSource = aliasString(up.queryToken), TokenQuery
	case len(up.headerToken) > 0:
		up.req.Token, up.req.TokenSource = aliasString(up.headerToken), TokenHeader
	case len(up.protoToken) > 0:
		up.req.Token, up.req.TokenSource = aliasString(up.protoToken), TokenSubprotocol
	}
}

// aliasString returns b's bytes as a string without copying them; b must
// not change while the string is in use.
func aliasString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

var errBadParam = ws.RejectConnectionError(
	ws.RejectionStatus(http.StatusBadRequest),
	ws.RejectionReason("bad device_id or platform"),
)

var errNotFound = ws.RejectConnectionError(
	ws.RejectionStatus(http.StatusNotFound),
	ws.RejectionReason("path not found"),
)

// onRequest checks the path against Admission.WSPath and takes token,
// device_id and platform from the request URI.
func (up *upgrader) onRequest(uri []byte) error {
	path, query, _ := bytes.Cut(uri, []byte{'?'})
	if up.path != nil && !bytes.Equal(path, up.path) {
		return errNotFound
	}
	for len(query) > 0 {
		var pair []byte
		pair, query, _ = bytes.Cut(query, []byte{'&'})
		name, value, _ := bytes.Cut(pair, []byte{'='})
		switch string(name) {
		case "token":
			if up.queryToken == nil {
				up.queryToken = up.keep(up.unescape(value))
			}
		case "device_id":
			v := up.unescape(value)
			if !validParam(v) {
				return errBadParam
			}
			up.req.DeviceID = string(v)
		case "platform":
			v := up.unescape(value)
			if !validParam(v) {
				return errBadParam
			}
			up.req.Platform = string(v)
		case "since", "epoch":
			if err := up.resumeParam(string(name), up.unescape(value)); err != nil {
				return err
			}
		}
	}
	return nil
}

var errBadResume = ws.RejectConnectionError(
	ws.RejectionStatus(http.StatusBadRequest),
	ws.RejectionReason("bad since or epoch"),
)

// resumeParam takes "since" (a decimal offset) or "epoch".
func (up *upgrader) resumeParam(name string, v []byte) error {
	if name == "epoch" {
		if !validParam(v) {
			return errBadResume
		}
		up.req.Epoch = string(v)
		return nil
	}
	n, err := strconv.ParseUint(string(v), 10, 64)
	if err != nil {
		return errBadResume
	}
	up.req.Since, up.req.HasSince = n, true
	return nil
}

// onHeader takes a token from "Authorization: Bearer" and checks Origin.
func (up *upgrader) onHeader(key, value []byte) error {
	if up.origins != nil && bytes.EqualFold(key, []byte("Origin")) && !up.origins.allow(value) {
		return errForbiddenOrigin
	}
	if !bytes.EqualFold(key, []byte("Authorization")) {
		return nil
	}
	scheme, cred, ok := bytes.Cut(value, []byte{' '})
	if ok && bytes.EqualFold(scheme, []byte("Bearer")) {
		up.headerToken = up.keep(bytes.TrimSpace(cred))
	}
	return nil
}

// onProtocol takes a token from a "bearer.JWT" Sec-WebSocket-Protocol entry,
// never echoing it, and selects "gateway.v1" when it is offered.
func (up *upgrader) onProtocol(value []byte) (string, bool) {
	selected := ""
	for len(value) > 0 {
		var entry []byte
		entry, value, _ = bytes.Cut(value, []byte{','})
		entry = bytes.TrimSpace(entry)
		switch {
		case bytes.HasPrefix(entry, []byte("bearer.")) && up.protoToken == nil:
			up.protoToken = up.keep(entry[len("bearer."):])
		case string(entry) == "gateway.v1":
			selected = "gateway.v1"
		}
	}
	return selected, true
}

// keep copies v into the scratch buffer. The slices gobwas passes to the
// callbacks point into its read buffer, which a later line of a long head
// overwrites and which goes back to a shared pool when Upgrade returns.
func (up *upgrader) keep(v []byte) []byte {
	start := len(up.scratch)
	up.scratch = append(up.scratch, v...)
	return up.scratch[start:len(up.scratch):len(up.scratch)]
}

// unescape percent-decodes v ('+' is a space) into the scratch buffer.
// Malformed escapes are kept as they are.
func (up *upgrader) unescape(v []byte) []byte {
	if bytes.IndexByte(v, '%') < 0 && bytes.IndexByte(v, '+') < 0 {
		return v
	}
	start := len(up.scratch)
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '+':
			up.scratch = append(up.scratch, ' ')
		case c == '%' && i+2 < len(v) && isHex(v[i+1]) && isHex(v[i+2]):
			up.scratch = append(up.scratch, unhex(v[i+1])<<4|unhex(v[i+2]))
			i += 2
		default:
			up.scratch = append(up.scratch, c)
		}
	}
	return up.scratch[start:]
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// validParam reports whether a device_id or platform is at most 64 bytes of
// [A-Za-z0-9_.:-].
func validParam(v []byte) bool {
	if len(v) > 64 {
		return false
	}
	for _, c := range v {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '_' || c == '.' || c == ':' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// headEnd returns the length of the request head in b (through the blank
// line), searching from offset from, or -1 when it is not complete yet.
func headEnd(b []byte, from int) int {
	from = max(0, from-3)
	if i := bytes.Index(b[from:], []byte("\r\n\r\n")); i >= 0 {
		return from + i + 4
	}
	return -1
}

// responseFor returns a complete HTTP error response for status.
func responseFor(status int) []byte {
	switch status {
	case http.StatusRequestHeaderFieldsTooLarge:
		return resp431
	case http.StatusServiceUnavailable:
		return resp503
	}
	return resp400
}

var (
	resp400 = httpResponse(http.StatusBadRequest, "")
	resp431 = httpResponse(http.StatusRequestHeaderFieldsTooLarge, "")
	resp503 = httpResponse(http.StatusServiceUnavailable, "Retry-After: 1\r\n")
)

func httpResponse(status int, extra string) []byte {
	text := http.StatusText(status)
	return fmt.Appendf(nil, "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n%s\r\n%s\n",
		status, text, len(text)+1, extra, text)
}
