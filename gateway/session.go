package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync/atomic"

	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/hub"
)

// session is one connection's state. Loop-owned (see the package doc).
type session struct {
	conn      *engine.Conn
	id        string
	deviceID  string
	platform  string
	member    *hub.Member // in the hub while authenticated, else nil
	expiresAt int64       // unix seconds of the access token; 0 if none
	loggingIn bool        // a LOGIN is with the password workers
	rate      msgBucket   // the message rate limit's bucket
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
