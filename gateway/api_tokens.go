package gateway

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/protocol"
)

// apiLogin is LOGIN over HTTP: {"username","password"}, and optionally
// "device_id" to bind the tokens to a device.
func (g *Gateway) apiLogin(w http.ResponseWriter, r *http.Request) {
	in, device, ok := readRequest(w, r, protocol.DecodeLogin)
	if !ok {
		return
	}
	type result struct {
		res auth.LoginResult
		err error
	}
	done := make(chan result, 1)
	err := g.auth.Login(auth.LoginRequest{Username: in.Username, Password: in.Password, DeviceID: device,
		ClientAddr: remoteAddr(r)}, func(res auth.LoginResult, err error) { done <- result{res, err} })
	if errors.Is(err, auth.ErrThrottled) || errors.Is(err, auth.ErrBusy) {
		writeTooMany(w, err)
		return
	} else if err != nil {
		writeError(w, errInternal)
		return
	}
	var out result
	select {
	case out = <-done:
	case <-r.Context().Done():
		return
	}
	if errors.Is(out.err, auth.ErrBadCredentials) {
		g.authFailed(0, authBadCredentials)
		writeError(w, errBadCredentials)
		return
	} else if out.err != nil {
		g.log.Warn("login error", "err", out.err)
		writeError(w, errInternal)
		return
	}
	g.ops.stats.add(0, cLogins, 1)
	writeOK(w, protocol.AppendLoginBody(nil, &protocol.LoginResult{UserID: out.res.UserID,
		Tokens: protocol.Tokens{AccessToken: out.res.AccessToken, RefreshToken: out.res.RefreshToken, ExpiresIn: out.res.ExpiresIn}}))
}

// apiRefresh is the product document's POST /api/refresh-token:
// {"refresh_token"} (and optionally "device_id", checked against the
// device the tokens are bound to) → {"access_token","refresh_token","expires_in"}.
// A reused token revokes its family and kicks the family's live sessions.
func (g *Gateway) apiRefresh(w http.ResponseWriter, r *http.Request) {
	in, device, ok := readRequest(w, r, protocol.DecodeRefresh)
	if !ok {
		return
	}
	res, err := g.auth.Refresh(auth.RefreshRequest{Token: in.RefreshToken, DeviceID: device})
	if err != nil {
		g.log.Debug("refresh refused", "err", err)
		g.authFailed(0, refreshFailure(err))
		writeError(w, g.refreshError(err))
		g.afterRefreshError(err)
		return
	}
	g.ops.stats.add(0, cRefreshes, 1)
	writeOK(w, protocol.AppendTokensBody(nil, &protocol.Tokens{AccessToken: res.AccessToken,
		RefreshToken: res.RefreshToken, ExpiresIn: res.ExpiresIn}))
}

// readRequest reads the body, decodes it with decode and takes its optional
// "device_id". It answers a bad request itself and reports ok false.
func readRequest[T any](w http.ResponseWriter, r *http.Request, decode func([]byte, *T) error) (in T, device string, ok bool) {
	body, ok := readBody(w, r)
	if !ok {
		return in, "", false
	}
	err := decode(body, &in)
	if err == nil {
		device, err = optionalDevice(body)
	}
	if err != nil {
		writeError(w, err)
		return in, "", false
	}
	return in, device, true
}

// optionalDevice returns the body's "device_id", "" when absent. The seed's
// calls have none; the field is an addition of this gateway.
func optionalDevice(body []byte) (string, error) {
	var v struct {
		DeviceID *string `json:"device_id"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.DeviceID == nil {
		return "", nil // DecodeLogin/DecodeRefresh judged the JSON already
	}
	if *v.DeviceID != "" && !validDeviceID(*v.DeviceID) {
		return "", protocol.BadRequest("device_id must be 1 to 64 bytes of [A-Za-z0-9_.:-]")
	}
	return *v.DeviceID, nil
}

// remoteAddr is the HTTP client's IP address (the zero Addr if unknown).
func remoteAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// writeTooMany answers a refused login with 429 and, when throttled, a
// Retry-After header (whole seconds, rounded up).
func writeTooMany(w http.ResponseWriter, err error) {
	var te *auth.ThrottleError
	if errors.As(err, &te) {
		w.Header().Set("Retry-After", strconv.FormatInt(int64((te.RetryAfter+time.Second-1)/time.Second), 10))
	}
	writeError(w, errTooMany)
}
