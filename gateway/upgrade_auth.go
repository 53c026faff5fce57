package gateway

import "github.com/imgate/gateway/engine"

// CheckToken implements engine.TokenChecker: with Config.RejectBadToken it
// verifies the upgrade's token (and its device binding) so that a bad one
// is refused with HTTP 401 before the upgrade; without, it accepts every
// token and OnOpen answers a bad one in-band as the seed does. Loop only.
//
// A token it accepts is verified again by OnOpen, on the same loop right
// after: HS256 verification costs a few microseconds, and keeping OnOpen
// the one place that authenticates keeps both modes on the same path.
func (g *Gateway) CheckToken(loop int, req *engine.Request) bool {
	if !g.rejectBad {
		return true
	}
	claims, err := g.auth.Verify(req.Token)
	if err == nil && claims.DeviceID != "" && claims.DeviceID != req.DeviceID {
		err = errWrongDevice
	}
	if err != nil {
		g.authFailed(loop, authReason(err, false))
		g.log.Debug("token refused at the upgrade", "source", req.TokenSource.String(), "err", err)
		return false
	}
	return true
}
