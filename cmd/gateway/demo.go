package main

import (
	"net"
	"net/http"

	"github.com/imgate/gateway/clients"
	"github.com/imgate/gateway/engine"
)

// withDemo adds the demo chat page and the JavaScript SDK under /demo/ to
// the HTTP API when -demo is on (package clients).
func withDemo(api http.Handler, srv *engine.Server, on bool) http.Handler {
	if !on {
		return api
	}
	mux := http.NewServeMux()
	mux.Handle("/", api)
	mux.Handle("/demo/", clients.DemoHandler(func() (ws, wss net.Addr) { return srv.Addr(), srv.TLSAddr() }))
	return mux
}
