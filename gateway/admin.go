package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/imgate/gateway/engine/wsframe"
	"github.com/imgate/gateway/protocol"
)

// pushWait bounds how long POST /api/push waits for the hub's count.
const pushWait = 5 * time.Second

var errAdminDisabled = protocol.Forbidden("admin API disabled (no admin key configured)")

func (g *Gateway) setAdminKey(key string) {
	if key != "" {
		g.adminKey, g.adminOn = sha256.Sum256([]byte(key)), true
	}
}

// admin checks the request's "Authorization: Bearer ADMIN_KEY" in constant
// time (comparing digests, so not even the key's length leaks). It answers
// a refused request itself and returns false.
func (g *Gateway) admin(w http.ResponseWriter, r *http.Request) bool {
	if !g.adminOn {
		writeError(w, errAdminDisabled)
		return false
	}
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	sum := sha256.Sum256([]byte(key))
	if !ok || subtle.ConstantTimeCompare(sum[:], g.adminKey[:]) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gateway admin"`)
		writeError(w, errNotAuthenticated)
		return false
	}
	return true
}

// apiPush is POST /api/push: a MESSAGE (3001) to every session of to_uid,
// on this node and, in cluster mode, on the others. The answer counts this
// node's sessions, with "routed":true when the bus took the message.
func (g *Gateway) apiPush(w http.ResponseWriter, r *http.Request) {
	if !g.admin(w, r) {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var in protocol.Send
	if err := protocol.DecodeSend(body, &in); err != nil {
		writeError(w, err)
		return
	}
	msg := protocol.Message{MsgID: g.ids.next("m"), ToUID: in.ToUID, Content: in.Content,
		ClientMsgID: in.ClientMsgID, TS: time.Now().UnixMilli()}
	if g.ib != nil {
		msg.ToUID, msg.Content = strings.Clone(msg.ToUID), append([]byte(nil), msg.Content...)
		msg.ClientMsgID = strings.Clone(msg.ClientMsgID)
		n, routed, err := g.pushInbox(&msg)
		if err != nil {
			writeError(w, err)
			return
		}
		writeOK(w, appendPushResult(nil, n, routed))
		return
	}
	payload, frame := messagePayloadFrame(&msg)
	to := strings.Clone(in.ToUID)
	routed := g.cluster != nil && g.cluster.Publish(to, payload) == nil
	n, ok := g.deliverCount(r.Context(), to, frame)
	switch {
	case !ok:
		writeError(w, errInternal)
	case g.cluster != nil && !routed && n == 0:
		writeError(w, protocol.ErrClusterUnavailable)
	default:
		writeOK(w, appendPushResult(nil, n, routed))
	}
}

// deliverCount delivers frame to user's sessions here and waits for the
// count. Not for event loops.
func (g *Gateway) deliverCount(ctx context.Context, user string, frame *wsframe.Frame) (int, bool) {
	ch := make(chan int, 1)
	g.hub.Deliver(user, frame, nil, func(n int) { ch <- n })
	t := time.NewTimer(pushWait)
	defer t.Stop()
	select {
	case n := <-ch:
		return n, true
	case <-ctx.Done():
	case <-t.C:
	}
	return 0, false
}

// appendPushResult appends {"delivered":n[,"routed":true]}.
func appendPushResult(dst []byte, n int, routed bool) []byte {
	dst = append(dst, `{"delivered":`...)
	dst = strconv.AppendInt(dst, int64(n), 10)
	if routed {
		dst = append(dst, `,"routed":true`...)
	}
	return append(dst, '}')
}
