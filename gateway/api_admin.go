package gateway

import (
	"context"
	"net/http"
	"time"

	"github.com/imgate/gateway/protocol"
)

// apiKick is POST /api/kick: {"user_id","device_id"?,"reason"?} →
// {"kicked":n[,"routed":true]}: n counts the sessions kicked on this node;
// "routed" says that the kick went to the other nodes too (cluster mode),
// which kick theirs without reporting back. The user's refresh families
// (of that device) are revoked too, so that the kicked clients cannot
// refresh.
func (g *Gateway) apiKick(w http.ResponseWriter, r *http.Request) {
	if !g.admin(w, r) {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var in protocol.Kick
	if err := protocol.DecodeKick(body, &in); err != nil {
		writeError(w, err)
		return
	}
	in = in.Clone()
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	n, routed, err := g.Kick(ctx, in.UserID, in.DeviceID, in.Reason)
	if err != nil {
		g.log.Warn("kick", "user", in.UserID, "kicked", n, "err", err)
		writeError(w, errInternal)
		return
	}
	g.log.Info("admin kick", "user", in.UserID, "device", in.DeviceID, "kicked", n, "routed", routed)
	writeOK(w, appendKickResult(nil, n, routed))
}

// appendKickResult appends {"kicked":n[,"routed":true]}.
func appendKickResult(dst []byte, n int, routed bool) []byte {
	dst = protocol.AppendKickCountBody(dst, n)
	if routed {
		dst = append(dst[:len(dst)-1], `,"routed":true}`...)
	}
	return dst
}
