package clients

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
)

//go:embed demo/index.html js/src/*.js
var files embed.FS

// Addrs returns the gateway's WebSocket listeners (nil when off), read
// when the page asks, so that a port chosen at start (":0") is right.
type Addrs func() (ws, wss net.Addr)

// csp lets the page run its own module scripts and open WebSockets to the
// gateway's other port; nothing else is loaded from anywhere.
const csp = "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; " +
	"connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'"

// DemoHandler serves, under /demo/: the page (/demo/), the SDK's ES
// modules (/demo/sdk/NAME.js) and /demo/config.json ({"ws_port",
// "wss_port"}: where the page opens its WebSocket).
func DemoHandler(addrs Addrs) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /demo/{$}", func(w http.ResponseWriter, _ *http.Request) {
		serve(w, "demo/index.html", "text/html; charset=utf-8")
	})
	mux.HandleFunc("GET /demo/sdk/{name}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if !strings.HasSuffix(name, ".js") || strings.Contains(name, "/") {
			http.NotFound(w, r)
			return
		}
		serve(w, path.Join("js/src", name), "text/javascript; charset=utf-8")
	})
	mux.HandleFunc("GET /demo/config.json", func(w http.ResponseWriter, _ *http.Request) {
		ws, wss := addrs()
		b, _ := json.Marshal(map[string]int{"ws_port": port(ws), "wss_port": port(wss)})
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(b)
	})
	return mux
}

// serve writes one embedded file, or 404 when there is none.
func serve(w http.ResponseWriter, name, ctype string) {
	b, err := fs.ReadFile(files, name)
	if err != nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", csp)
	_, _ = w.Write(b)
}

// port is addr's port, 0 for nil.
func port(addr net.Addr) int {
	if t, ok := addr.(*net.TCPAddr); ok {
		return t.Port
	}
	return 0
}
