package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync/atomic"

	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/engine/wsframe"
	"github.com/imgate/gateway/hub"
)

// session is one connection's state. Loop-owned (see the package doc).
type session struct {
	conn        *engine.Conn
	id          string
	deviceID    string
	platform    string
	member      *member // in the hub while authenticated, else nil
	expiresAt   int64   // unix seconds of the access token; 0 if none
	busy        bool    // a LOGIN or REFRESH is with the auth workers
	deviceBound bool    // deviceID came with the upgrade: logins bind tokens to it
	// rate is the message rate limit's bucket, allocated on the first
	// message when Config.MessageRate is set (nil otherwise): session
	// stays at 88 bytes, 8 short of its 96-byte size class (memory.go).
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
	kicked atomic.Bool // a 3003 has been sent and the connection is closing
	ib     *ibState    // inbox position (inbox_session.go); nil with the inbox off
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
