package gateway

import (
	"context"
	"net/http"
	"time"

	"github.com/imgate/gateway/protocol"
)

// apiKick is POST /api/kick: {"user_id","device_id"?,"reason"?} →
// {"kicked": n}, the sessions kicked on this node. The user's refresh
// families (of that device) are revoked too, so that the kicked clients
// cannot refresh.
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
	n, err := g.Kick(ctx, in.UserID, in.DeviceID, in.Reason)
	if err != nil {
		g.log.Warn("kick", "user", in.UserID, "kicked", n, "err", err)
		writeError(w, errInternal)
		return
	}
	g.log.Info("admin kick", "user", in.UserID, "device", in.DeviceID, "kicked", n)
	writeOK(w, protocol.AppendKickCountBody(nil, n))
}
