package gateway

import (
	"io"
	"net/http"
	"strconv"

	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/protocol"
)

// maxAPIBody caps a request body of the HTTP API.
const maxAPIBody = 64 << 10

// NewAPI returns the HTTP API of PROTOCOL.md §6 that this node serves so
// far: health, stats, metrics, the dashboard, login, the product document's
// token refresh, and the admin kick and push.
func NewAPI(g *Gateway, srv *engine.Server) http.Handler {
	mux := http.NewServeMux()
	registerOps(mux, g, srv) // health, stats, metrics, dashboard
	mux.HandleFunc("POST /api/login", g.apiLogin)
	mux.HandleFunc("POST /api/refresh-token", g.apiRefresh)
	mux.HandleFunc("POST /api/kick", g.apiKick)
	mux.HandleFunc("POST /api/push", g.apiPush)
	mux.HandleFunc("POST /api/rooms/join", g.apiRoomJoin)
	mux.HandleFunc("POST /api/rooms/leave", g.apiRoomLeave)
	mux.HandleFunc("POST /api/rooms/publish", g.apiRoomPublish)
	mux.HandleFunc("POST /api/broadcast", g.apiBroadcast)
	return mux
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
