package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"math"
	"strconv"
	"sync/atomic"
	"unsafe"

	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/engine/wsframe"
	"github.com/imgate/gateway/hub"
)

// session is one connection's state. Loop-owned (see the package doc).
//
// A session and its first authentication's member are one allocation
// (144 bytes, a size class of its own; BENCHMARKS.md, "Memory per
// connection"): mem is that member. mem.Conn, mem.SessionID and
// mem.Platform are written once in OnOpen and are the session's for its
// whole life (conn, id, platform), and mem.DeviceID until mem joins the
// hub (deviceID); the rest of mem is written when the
// first authentication adds it to the hub and never again. A later
// authentication (another user or refresh family, a login after LOGOUT
// or expiry) gets a fresh member: every authentication is a distinct
// object, so a kick, an inbox read or a hub operation aimed at an old one
// never reaches the new one.
type session struct {
	mem    member
	member *member // in the hub while authenticated (&mem or a fresh one), else nil
	// expiresAt is the access token's expiry in unix seconds (0 if none),
	// saturated at 2106-02-07 (see setExpiry).
	expiresAt   uint32
	busy        bool // a LOGIN or REFRESH is with the auth workers
	deviceBound bool // the device ID came with the upgrade: logins bind tokens to it
	memUsed     bool // mem has been added to the hub once: never again
	// rare is what only some sessions need (a rate bucket, rooms, a device
	// ID given after the first authentication); nil until one of them is.
	rare *sessionRare
}

// sessionRare is the part of a session that most sessions do not need.
// Loop only.
type sessionRare struct {
	// rate is the message rate limit's bucket, allocated on the first
	// message when Config.MessageRate is set (nil otherwise).
	rate     *msgBucket
	rooms    *roomSet // the session's rooms; nil until it has one (rooms_loop.go)
	deviceID string   // the LOGIN's device ID when mem was added without one
}

// member is a session's entry in the hub: the hub.Member plus what kicks
// need. Immutable once added, except kicked. Its Conn is the connection
// (a *frameSender), so that the member needs no pointer of its own to it,
// and the hub.Member is its first field, so that memberOf finds the member
// from the hub's pointer.
type member struct {
	hub.Member
	family string      // refresh-token family of the authentication; "" none
	ib     *ibState    // inbox position (inbox_session.go); nil with the inbox off
	kicked atomic.Bool // a 3003 has been sent and the connection is closing
}

// conn is the member's connection. Any goroutine.
func (m *member) conn() *engine.Conn { return (*engine.Conn)(m.Conn.(*frameSender)) }

// frameSender is an engine connection as a hub.Sender: the connection
// picks the plain or the compressed variant of a frame.
type frameSender engine.Conn

// Send implements hub.Sender. Any goroutine.
func (c *frameSender) Send(frame *wsframe.Frame) bool { return (*engine.Conn)(c).SendFrame(frame) }

// memberOf returns the gateway member behind a hub member. Every member of
// the gateway's hub is the hub.Member at offset 0 of a member (authenticate
// adds nothing else), so the conversion stays inside that member's
// allocation (a session, or a member of its own). Any goroutine.
func memberOf(hm *hub.Member) *member { return (*member)(unsafe.Pointer(hm)) }

// memberOf needs hub.Member at offset 0 of member: this fails to compile
// otherwise (constant index out of range).
var _ = [1]struct{}{}[unsafe.Offsetof(member{}.Member)]

// newSession returns the session of c with the session ID id. Loop only.
func newSession(c *engine.Conn, id string, req *engine.Request) *session {
	s := &session{deviceBound: req.DeviceID != ""}
	s.mem.Conn, s.mem.SessionID, s.mem.Platform, s.mem.DeviceID = (*frameSender)(c), id, req.Platform, req.DeviceID
	return s
}

// deviceID is the session's device ID: the upgrade's, or the first LOGIN's
// that gave one; "" if none. Loop only.
func (s *session) deviceID() string {
	if s.rare != nil && s.rare.deviceID != "" {
		return s.rare.deviceID
	}
	return s.mem.DeviceID
}

// setDeviceID gives a session without a device ID one (once, at LOGIN):
// in mem while mem is not yet in the hub, whose members never change, else
// in rare. Loop only.
func (s *session) setDeviceID(id string) {
	if !s.memUsed {
		s.mem.DeviceID = id
		return
	}
	s.rareState().deviceID = id
}

// rareState returns s.rare, allocating it. Loop only.
func (s *session) rareState() *sessionRare {
	if s.rare == nil {
		s.rare = new(sessionRare)
	}
	return s.rare
}

// rateBucket returns the session's message rate bucket, allocating it.
// Loop only.
func (s *session) rateBucket() *msgBucket {
	r := s.rareState()
	if r.rate == nil {
		r.rate = new(msgBucket)
	}
	return r.rate
}

// rooms returns the session's rooms, nil if none. Loop only.
func (s *session) rooms() *roomSet {
	if s.rare == nil {
		return nil
	}
	return s.rare.rooms
}

// setRooms sets (or, with nil, drops) the session's rooms; rare goes when
// nothing is left in it. Loop only.
func (s *session) setRooms(rs *roomSet) {
	if rs != nil {
		s.rareState().rooms = rs
		return
	}
	if s.rare == nil {
		return
	}
	if s.rare.rooms = nil; s.rare.rate == nil && s.rare.deviceID == "" {
		s.rare = nil
	}
}

// conn is the session's connection. Any goroutine.
func (s *session) conn() *engine.Conn { return s.mem.conn() }

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
	m := new(member)
	m.Conn, m.SessionID, m.Platform = s.mem.Conn, s.mem.SessionID, s.mem.Platform
	return m
}

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
