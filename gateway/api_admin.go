package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/imgate/gateway/protocol"
)

// Errors of the admin API.
var (
	errAdminDisabled = protocol.Forbidden("admin API disabled (no admin key configured)")
	errAdminKey      = protocol.ErrNotAuthenticated
)

// adminOK checks "Authorization: Bearer ADMIN_KEY" in constant time and
// answers the request when it fails.
func (g *Gateway) adminOK(w http.ResponseWriter, r *http.Request) bool {
	if g.adminKey == "" {
		writeError(w, errAdminDisabled)
		return false
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(g.adminKey))
	if !ok || subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
		writeError(w, errAdminKey)
		return false
	}
	return true
}

// apiKick is POST /api/kick: {"user_id","device_id"?,"reason"?} →
// {"kicked": n}, the sessions kicked on this node. The user's refresh
// families (of that device) are revoked too, so that the kicked clients
// cannot refresh.
func (g *Gateway) apiKick(w http.ResponseWriter, r *http.Request) {
	if !g.adminOK(w, r) {
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
