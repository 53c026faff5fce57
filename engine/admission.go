package engine

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// Admission configures the refusals the engine makes at the HTTP level,
// before a connection is upgraded (PROTOCOL.md §1): origins (403), per-IP
// connect rate (429 with Retry-After), the connection cap and draining (503
// with Retry-After). The zero value refuses nothing but what MaxConns and
// SetDraining ask for.
type Admission struct {
	// AllowedOrigins, when not empty, lists the Origin header values an
	// upgrade may carry, compared without regard to case: a full origin
	// ("https://chat.example.com"), one with "*." in front of the host
	// that allows the host and its subdomains ("https://*.example.com"),
	// or "*" for any. An upgrade with another Origin gets 403. A request
	// without Origin passes: browsers always send one, so the check stops
	// cross-site pages (WebSocket hijacking), not other clients.
	AllowedOrigins []string
	// IPConnRate is how many new connections per second one client
	// address may open (IPv6: one /64); 0 disables the limit. Past it a
	// connection gets 429 with Retry-After.
	IPConnRate float64
	// IPConnBurst is how many connections an address may open at once
	// (default: IPConnRate rounded up, at least 1).
	IPConnBurst int
	// RetryAfter is the Retry-After of a 503 at MaxConns or while draining
	// (default 1s; whole seconds, rounded up).
	RetryAfter time.Duration
	// RejectBacklog caps the sockets past MaxConns that are being refused
	// (an HTTP error written, waiting for the peer to read it). Past it a
	// new socket is closed at once without an answer, so that a flood
	// cannot use up file descriptors (default 64).
	RejectBacklog int
	// WSPath, when not empty, is the only request path that may upgrade
	// ("/ws"; compared byte for byte, before the query); another path gets
	// 404. Empty: any path (PROTOCOL.md §1).
	WSPath string
}

func (a *Admission) withDefaults() {
	if a.RetryAfter <= 0 {
		a.RetryAfter = time.Second
	}
	if a.RejectBacklog <= 0 {
		a.RejectBacklog = 64
	}
	if a.IPConnRate > 0 && a.IPConnBurst <= 0 {
		a.IPConnBurst = max(1, int(math.Ceil(a.IPConnRate)))
	}
}

// admission is the Server's state for Admission. Any goroutine.
type admission struct {
	maxConns int64
	backlog  int64
	origins  *originList // nil: any origin
	ips      *ipLimiter  // nil: no per-IP limit
	draining atomic.Bool
	resp503  []byte
	refused  [numRefusals]atomic.Int64
}

func newAdmission(o *Options) *admission {
	a := &admission{maxConns: int64(o.MaxConns), backlog: int64(o.Admission.RejectBacklog),
		origins: newOriginList(o.Admission.AllowedOrigins),
		resp503: retryResponse(http.StatusServiceUnavailable, o.Admission.RetryAfter)}
	if o.Admission.IPConnRate > 0 {
		a.ips = newIPLimiter(o.Admission.IPConnRate, o.Admission.IPConnBurst)
	}
	return a
}

// verdict is what admit decided for a new socket.
type verdict uint8

const (
	admitted verdict = iota
	refused          // answer with the response, then close
	dropped          // close at once, no answer
)

// admit decides for a socket accepted while n sockets (it included) are
// open. resp is the HTTP answer for refused. Loop only (reads gc).
func (a *admission) admit(remote net.Addr, n int64, now int64) (verdict, []byte) {
	switch {
	case a.maxConns > 0 && n > a.maxConns+a.backlog:
		a.refused[refusedDropped].Add(1)
		return dropped, nil
	case a.draining.Load(), a.maxConns > 0 && n > a.maxConns:
		return refused, a.resp503
	case a.ips != nil:
		if wait := a.ips.allow(remote, now); wait > 0 {
			return refused, response429(wait)
		}
	}
	return admitted, nil
}

// Refusal kinds, for counting.
const (
	refusedBadRequest   = iota // 400 and the rest of 4xx not below
	refusedForbidden           // 403 (origin)
	refusedNotFound            // 404
	refusedTooMany             // 429 (per-IP rate)
	refusedTooLarge            // 431
	refusedUnavailable         // 503 (MaxConns, draining)
	refusedDropped             // closed without an answer past RejectBacklog
	refusedTimeout             // request head not complete in HandshakeTimeout
	refusedUnauthorized        // 401 (TokenChecker refused the token)
	numRefusals
)

// count records an HTTP refusal by the status in resp.
func (a *admission) count(resp []byte) {
	k := refusedBadRequest
	if len(resp) >= 12 {
		switch string(resp[9:12]) {
		case "401":
			k = refusedUnauthorized
		case "403":
			k = refusedForbidden
		case "404":
			k = refusedNotFound
		case "429":
			k = refusedTooMany
		case "431":
			k = refusedTooLarge
		case "503":
			k = refusedUnavailable
		}
	}
	a.refused[k].Add(1)
}

// Refusals counts the connections refused before an upgrade, by reason,
// since start. Read it with Server.Refusals.
type Refusals struct {
	BadRequest  int64 // 400 and other client errors
	Forbidden   int64 // 403: Origin not allowed
	NotFound    int64 // 404
	TooMany     int64 // 429: per-IP connect rate
	TooLarge    int64 // 431: request head too large
	Unavailable int64 // 503: at MaxConns or draining
	Dropped     int64 // closed without an answer past Admission.RejectBacklog
	Timeout     int64 // request head not complete within HandshakeTimeout
	// Unauthorized counts 401s: the Handler's TokenChecker refused the
	// upgrade's token.
	Unauthorized int64
}

// Refusals returns the refusal counters. Any goroutine.
func (s *Server) Refusals() Refusals {
	r := &s.adm.refused
	return Refusals{BadRequest: r[refusedBadRequest].Load(), Forbidden: r[refusedForbidden].Load(),
		NotFound: r[refusedNotFound].Load(), TooMany: r[refusedTooMany].Load(),
		TooLarge: r[refusedTooLarge].Load(), Unavailable: r[refusedUnavailable].Load(),
		Dropped: r[refusedDropped].Load(), Timeout: r[refusedTimeout].Load(),
		Unauthorized: r[refusedUnauthorized].Load()}
}

// SetDraining turns draining on or off. While on, every new connection,
// and every connection whose request head completes, is answered 503 with
// Retry-After; open connections are untouched. Any goroutine.
func (s *Server) SetDraining(on bool) { s.adm.draining.Store(on) }

// Draining reports whether SetDraining(true) is in force. Any goroutine.
func (s *Server) Draining() bool { return s.adm.draining.Load() }

// Saturated reports whether the open sockets have reached MaxConns, so that
// the next connection would get 503. Any goroutine.
func (s *Server) Saturated() bool {
	return s.adm.maxConns > 0 && s.stats.Conns.Load() >= s.adm.maxConns
}

// retryResponse is a complete HTTP error response with Retry-After.
func retryResponse(status int, after time.Duration) []byte {
	secs := max(1, int64(math.Ceil(after.Seconds())))
	return httpResponse(status, "Retry-After: "+strconv.FormatInt(secs, 10)+"\r\n")
}

// resp429 caches 429 responses for Retry-After 1…len(resp429) seconds.
var resp429 = func() (r [60][]byte) {
	for i := range r {
		r[i] = retryResponse(http.StatusTooManyRequests, time.Duration(i+1)*time.Second)
	}
	return r
}()

// response429 is the 429 response for a wait, in whole seconds rounded up.
func response429(wait time.Duration) []byte {
	secs := int(math.Ceil(wait.Seconds()))
	return resp429[min(max(secs, 1), len(resp429))-1]
}

// refusalLog turns the refusal counters into at most one warning a
// second, so that a flood of refused connections logs a line per second,
// not a line per connection. Only the ticker goroutine uses it.
type refusalLog struct {
	last Refusals
	at   int64
}

// report logs the refusals since the last report if a second has passed.
func (s *Server) reportRefusals(rl *refusalLog, now int64) {
	if now-rl.at < int64(time.Second) {
		return
	}
	rl.at = now
	r := s.Refusals()
	d := Refusals{BadRequest: r.BadRequest - rl.last.BadRequest, Forbidden: r.Forbidden - rl.last.Forbidden,
		NotFound: r.NotFound - rl.last.NotFound, TooMany: r.TooMany - rl.last.TooMany,
		TooLarge: r.TooLarge - rl.last.TooLarge, Unavailable: r.Unavailable - rl.last.Unavailable,
		Dropped: r.Dropped - rl.last.Dropped, Timeout: r.Timeout - rl.last.Timeout,
		Unauthorized: r.Unauthorized - rl.last.Unauthorized}
	rl.last = r
	if d == (Refusals{}) {
		return
	}
	s.opts.Logger.Warn("connections refused in the last second", "bad_request", d.BadRequest,
		"forbidden_origin", d.Forbidden, "not_found", d.NotFound, "rate_limited", d.TooMany,
		"head_too_large", d.TooLarge, "unavailable", d.Unavailable, "dropped", d.Dropped,
		"handshake_timeout", d.Timeout, "unauthorized", d.Unauthorized, "open", s.stats.Conns.Load(), "draining", s.Draining())
}
