package engine

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/gobwas/ws"
)

// originList is Admission.AllowedOrigins, parsed. Read-only after
// newOriginList, so any goroutine may use it.
type originList struct {
	any      bool
	exact    [][]byte // "https://chat.example.com"
	wildcard []wildOrigin
}

// wildOrigin is "scheme://*.base": base itself or any subdomain of it.
type wildOrigin struct {
	scheme []byte // "https://"
	base   []byte // "example.com" or "example.com:8443"
}

// newOriginList parses the allowed origins; nil when there are none (no
// check).
func newOriginList(origins []string) *originList {
	if len(origins) == 0 {
		return nil
	}
	l := &originList{}
	for _, o := range origins {
		o = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(o), "/"))
		scheme, host, ok := strings.Cut(o, "://")
		switch {
		case o == "*":
			l.any = true
		case ok && strings.HasPrefix(host, "*."):
			l.wildcard = append(l.wildcard, wildOrigin{scheme: []byte(scheme + "://"), base: []byte(host[2:])})
		case o != "":
			l.exact = append(l.exact, []byte(o))
		}
	}
	return l
}

// allow reports whether an Origin header value is allowed.
func (l *originList) allow(origin []byte) bool {
	if l.any {
		return true
	}
	origin = bytes.TrimSuffix(bytes.TrimSpace(origin), []byte{'/'})
	for _, e := range l.exact {
		if bytes.EqualFold(origin, e) {
			return true
		}
	}
	for _, w := range l.wildcard {
		if len(origin) <= len(w.scheme) || !bytes.EqualFold(origin[:len(w.scheme)], w.scheme) {
			continue
		}
		host := origin[len(w.scheme):]
		if bytes.EqualFold(host, w.base) {
			return true
		}
		if n := len(host) - len(w.base); n > 1 && host[n-1] == '.' && bytes.EqualFold(host[n:], w.base) {
			return true
		}
	}
	return false
}

var errForbiddenOrigin = ws.RejectConnectionError(
	ws.RejectionStatus(http.StatusForbidden),
	ws.RejectionReason("origin not allowed"),
)
