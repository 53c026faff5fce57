package engine

import "net/http"

// TokenChecker is implemented by a Handler that wants to refuse a bad token
// with HTTP 401 at the upgrade, before any WebSocket frame (the gateway's
// -reject-bad-token), rather than upgrade first and answer in-band.
//
// The engine knows nothing of tokens: it only asks. CheckToken runs on the
// connection's event loop, once the request head has been parsed and before
// 101 is written, for every upgrade that carried a token (never for one
// without). It must not block. Verifying an HS256 JWT takes a few
// microseconds and is fine there; an RSA or ECDSA verify costs tens to
// hundreds of microseconds of loop time per upgrade, which a reconnect
// storm multiplies by every connection the loop serves (BENCHMARKS.md has
// the upgrade+verify benchmark).
type TokenChecker interface {
	// CheckToken reports whether req.Token may upgrade. false answers the
	// request with 401 and WWW-Authenticate: Bearer error="invalid_token",
	// and OnOpen never runs. loop is the index of the event loop it runs
	// on (what Conn.Loop returns for the connection). req is only valid
	// until CheckToken returns.
	CheckToken(loop int, req *Request) bool
}

// tokenAccepted asks the Handler's TokenChecker, if any, about a request
// that carried a token. Loop only.
func (c *Conn) tokenAccepted(req *Request) bool {
	t := c.srv.tokens
	return t == nil || req.Token == "" || t.CheckToken(c.Loop(), req)
}

// resp401 is the answer to an upgrade whose token the TokenChecker refused
// (RFC 6750 §3.1).
var resp401 = httpResponse(http.StatusUnauthorized, "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n")
