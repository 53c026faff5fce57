package gateway

import (
	"errors"
	"io"
	"net/http"
	"runtime"
	"strconv"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/protocol"
)

// maxAPIBody caps a request body of the HTTP API.
const maxAPIBody = 64 << 10

// NewAPI returns the HTTP API of PROTOCOL.md §6 that this node serves so
// far: health, stats, login and the product document's token refresh.
func NewAPI(g *Gateway, srv *engine.Server) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ready\n") })
	mux.HandleFunc("GET /api/stats", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gc") == "1" {
			runtime.GC() // for measurements: live heap only
		}
		writeStats(w, g, srv)
	})
	mux.HandleFunc("POST /api/login", g.apiLogin)
	mux.HandleFunc("POST /api/refresh-token", g.apiRefresh)
	return mux
}

// apiLogin is LOGIN over HTTP.
func (g *Gateway) apiLogin(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var in protocol.Login
	if err := protocol.DecodeLogin(body, &in); err != nil {
		writeError(w, err)
		return
	}
	type result struct {
		res auth.LoginResult
		err error
	}
	done := make(chan result, 1)
	err := g.auth.Login(auth.LoginRequest{Username: in.Username, Password: in.Password},
		func(res auth.LoginResult, err error) { done <- result{res, err} })
	if err != nil {
		writeError(w, errTooMany)
		return
	}
	var out result
	select {
	case out = <-done:
	case <-r.Context().Done():
		return
	}
	if errors.Is(out.err, auth.ErrBadCredentials) {
		writeError(w, errBadCredentials)
		return
	} else if out.err != nil {
		writeError(w, errInternal)
		return
	}
	writeOK(w, protocol.AppendLoginBody(nil, &protocol.LoginResult{UserID: out.res.UserID,
		Tokens: protocol.Tokens{AccessToken: out.res.AccessToken, RefreshToken: out.res.RefreshToken, ExpiresIn: out.res.ExpiresIn}}))
}

// apiRefresh is the product document's POST /api/refresh-token.
func (g *Gateway) apiRefresh(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var in protocol.Refresh
	if err := protocol.DecodeRefresh(body, &in); err != nil {
		writeError(w, err)
		return
	}
	claims, err := g.auth.VerifyRefresh(in.RefreshToken)
	switch {
	case errors.Is(err, auth.ErrTokenExpired):
		writeError(w, errTokenExpired)
		return
	case err != nil:
		writeError(w, errBadRefresh)
		return
	}
	res, err := g.issue(claims.UserID, claims.DeviceID)
	if err != nil {
		writeError(w, errInternal)
		return
	}
	writeOK(w, protocol.AppendTokensBody(nil, &protocol.Tokens{AccessToken: res.AccessToken,
		RefreshToken: res.RefreshToken, ExpiresIn: res.ExpiresIn}))
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAPIBody))
	if err != nil {
		writeError(w, protocol.BadRequest("body unreadable or over 64 KiB"))
		return nil, false
	}
	return body, true
}

func writeOK(w http.ResponseWriter, body []byte) {
	writeJSON(w, http.StatusOK, protocol.AppendOK(nil, protocol.Ref{}, body))
}

func writeError(w http.ResponseWriter, err error) {
	e := protocol.AsError(err)
	writeJSON(w, e.Code, protocol.AppendError(nil, protocol.Ref{}, e))
}

func writeJSON(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeStats reports counts and memory as JSON for tools like bench idle.
func writeStats(w http.ResponseWriter, g *Gateway, srv *engine.Server) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st := srv.Stats()
	b := []byte(`{"connections":`)
	b = strconv.AppendInt(b, st.Conns.Load(), 10)
	b = append(b, `,"upgraded":`...)
	b = strconv.AppendInt(b, st.Upgraded.Load(), 10)
	b = append(b, `,"users":`...)
	b = strconv.AppendInt(b, g.hub.UserCount(), 10)
	b = append(b, `,"sessions":`...)
	b = strconv.AppendInt(b, g.hub.SessionCount(), 10)
	b = append(b, `,"tls_handshakes":`...)
	b = strconv.AppendInt(b, st.TLSHandshakes.Load(), 10)
	b = append(b, `,"tls_resumed":`...)
	b = strconv.AppendInt(b, st.TLSResumed.Load(), 10)
	b = append(b, `,"tls_failed":`...)
	b = strconv.AppendInt(b, st.TLSFailed.Load(), 10)
	b = append(b, `,"heap_alloc":`...)
	b = strconv.AppendUint(b, ms.HeapAlloc, 10)
	b = append(b, `,"heap_inuse":`...)
	b = strconv.AppendUint(b, ms.HeapInuse, 10)
	b = append(b, `,"sys":`...)
	b = strconv.AppendUint(b, ms.Sys, 10)
	b = append(b, `,"goroutines":`...)
	b = strconv.AppendInt(b, int64(runtime.NumGoroutine()), 10)
	b = append(b, `,"rss":`...)
	b = strconv.AppendInt(b, rssBytes(), 10)
	b = append(b, "}\n"...)
	writeJSON(w, http.StatusOK, b)
}
