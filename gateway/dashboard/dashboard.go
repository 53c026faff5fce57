// Package dashboard serves the gateway's live dashboard: one
// self-contained HTML page (its script and styles inline, embedded in the
// binary, nothing fetched from elsewhere) that polls GET /api/stats once a
// second and draws connections, handshakes/s, messages/s, latency and
// memory. Handler is goroutine-safe.
package dashboard

import (
	_ "embed"
	"net/http"
	"strconv"
)

//go:embed index.html
var page []byte

// Handler serves the page. The page reads /api/stats on the same origin.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Length", strconv.Itoa(len(page)))
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; "+
			"style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'")
		_, _ = w.Write(page)
	})
}
