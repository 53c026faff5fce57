package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"math"
	"strconv"
	"sync/atomic"

	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/engine/wsframe"
	"github.com/imgate/gateway/hub"
)

// session is one connection's state. Loop-owned (see the package doc).
//
// A session and its first authentication's member are one allocation
// (176 bytes, a size class of its own; BENCHMARKS.md, "Memory per
// connection"): mem is that member. mem.conn, mem.SessionID and
// mem.Platform are written once in OnOpen and are the session's for its
// whole life (conn, id, platform); the rest of mem is written when the
// first authentication adds it to the hub and never again. A later
// authentication (another user or refresh family, a login after LOGOUT
// or expiry) gets a fresh member: every authentication is a distinct
// object, so a kick, an inbox read or a hub operation aimed at an old one
// never reaches the new one.
type session struct {
	mem      member
	deviceID string  // may change once, "" to the LOGIN's (lifecycle.go)
	member   *member // in the hub while authenticated (&mem or a fresh one), else nil
	// expiresAt is the access token's expiry in unix seconds (0 if none),
	// saturated at 2106-02-07 (see setExpiry).
	expiresAt   uint32
	busy        bool // a LOGIN or REFRESH is with the auth workers
	deviceBound bool // deviceID came with the upgrade: logins bind tokens to it
	memUsed     bool // mem has been added to the hub once: never again
	// rate is the message rate limit's bucket, allocated on the first
	// message when Config.MessageRate is set (nil otherwise).
	rate  *msgBucket
	rooms *roomSet // the session's rooms; nil until it has one (rooms_loop.go)
}

// member is a session's entry in the hub: the hub.Member plus what kicks
// need. Immutable once added, except kicked; the hub reaches the
// connection through it (it is the Member's Sender).
type member struct {
	hub.Member
	conn   *engine.Conn
	family string      // refresh-token family of the authentication; "" none
	ib     *ibState    // inbox position (inbox_session.go); nil with the inbox off
	kicked atomic.Bool // a 3003 has been sent and the connection is closing
}

// newSession returns the session of c with the session ID id. Loop only.
func newSession(c *engine.Conn, id string, req *engine.Request) *session {
	s := &session{deviceID: req.DeviceID, deviceBound: req.DeviceID != ""}
	s.mem.conn, s.mem.SessionID, s.mem.Platform = c, id, req.Platform
	return s
}

// conn is the session's connection. Any goroutine.
func (s *session) conn() *engine.Conn { return s.mem.conn }

// id is the session ID. Any goroutine.
func (s *session) id() string { return s.mem.SessionID }

// platform is the upgrade's platform. Any goroutine.
func (s *session) platform() string { return s.mem.Platform }

// expiry is the access token's expiry in unix seconds; 0 if none. Loop
// only.
func (s *session) expiry() int64 { return int64(s.expiresAt) }

// setExpiry records the access token's expiry, saturated at the largest
// uint32 (2106-02-07); 0 means none. Loop only.
func (s *session) setExpiry(unix int64) {
	s.expiresAt = uint32(min(max(unix, 0), math.MaxUint32))
}

// nextMember returns the member for a new authentication: mem the first
// time, a fresh one afterwards, with the session's ID, platform and
// connection. Loop only.
func (s *session) nextMember() *member {
	if !s.memUsed {
		s.memUsed = true
		return &s.mem
	}
	m := &member{conn: s.mem.conn}
	m.SessionID, m.Platform = s.mem.SessionID, s.mem.Platform
	return m
}

// Send implements hub.Sender: the connection picks the plain or the
// compressed variant. Any goroutine.
func (m *member) Send(frame *wsframe.Frame) bool { return m.conn.SendFrame(frame) }

// memberOf returns the gateway member behind a hub member.
func memberOf(hm *hub.Member) *member { return hm.Conn.(*member) }

func (s *session) authenticated() bool { return s.member != nil }

func (s *session) userID() string {
	if s.member == nil {
		return ""
	}
	return s.member.UserID
}

// idSource makes identifiers unique across processes, restarts and nodes: a
// random 64-bit prefix chosen at start, then a counter.
type idSource struct {
	prefix string
	n      atomic.Uint64
}

func newIDSource() *idSource {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &idSource{prefix: hex.EncodeToString(b[:])}
}

// next returns kind + "_" + prefix + counter (base 36).
func (ids *idSource) next(kind string) string {
	n := ids.n.Add(1)
	buf := make([]byte, 0, len(kind)+1+len(ids.prefix)+13)
	buf = append(buf, kind...)
	buf = append(buf, '_')
	buf = append(buf, ids.prefix...)
	buf = strconv.AppendUint(buf, n, 36)
	return string(buf)
}
