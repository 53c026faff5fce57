package gateway

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/gateway/dashboard"
	"github.com/imgate/gateway/protocol"
)

// registerOps adds the operator's endpoints to mux: /healthz, /readyz,
// /api/stats, /metrics and /dashboard.
func registerOps(mux *http.ServeMux, g *Gateway, srv *engine.Server) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) { readyz(w, g, srv) })
	mux.HandleFunc("GET /api/stats", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gc") == "1" {
			runtime.GC() // for measurements: live heap only
		}
		writeStats(w, r.Context(), g, srv)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(NewRegistry(g, srv), promhttp.HandlerOpts{}))
	mux.Handle("GET /dashboard", dashboard.Handler())
}

// readyz answers 503 while the gateway drains, is at its connection cap,
// or (cluster mode) has lost the bus, so that a load balancer sends new
// clients elsewhere.
func readyz(w http.ResponseWriter, g *Gateway, srv *engine.Server) {
	switch {
	case g.cluster != nil && !g.cluster.Ready():
		http.Error(w, protocol.ErrMsgClusterUnavailable, http.StatusServiceUnavailable)
	case srv.Draining():
		http.Error(w, "draining", http.StatusServiceUnavailable)
	case srv.Saturated():
		http.Error(w, "at max-conns", http.StatusServiceUnavailable)
	default:
		_, _ = io.WriteString(w, "ready\n")
	}
}

// statsDoc is the body of GET /api/stats. The first fields are the ones
// the benchmark client reads; counters are totals since start, so a tool
// takes rates from two samples.
type statsDoc struct {
	Connections int64  `json:"connections"`
	Upgraded    int64  `json:"upgraded"`
	Users       int64  `json:"users"`
	Sessions    int64  `json:"sessions"`
	HeapAlloc   uint64 `json:"heap_alloc"`
	HeapInuse   uint64 `json:"heap_inuse"`
	Sys         uint64 `json:"sys"`
	Goroutines  int    `json:"goroutines"`
	RSS         int64  `json:"rss"`

	TLSHandshakes int64 `json:"tls_handshakes"`
	TLSResumed    int64 `json:"tls_resumed"`
	TLSFailed     int64 `json:"tls_failed"`

	TimeMs          int64            `json:"time_ms"`
	UptimeS         float64          `json:"uptime_s"`
	Draining        bool             `json:"draining"`
	MaxConns        int              `json:"max_conns"`
	States          map[string]int64 `json:"states"`
	Upgrades        int64            `json:"upgrades"`
	Refusals        engine.Refusals  `json:"refusals"`
	Logins          int64            `json:"logins"`
	Refreshes       int64            `json:"refreshes"`
	AuthFailures    map[string]int64 `json:"auth_failures"`
	MessagesIn      int64            `json:"messages_in"`
	MessagesOut     int64            `json:"messages_out"`
	ByCmdIn         map[string]int64 `json:"messages_in_by_cmd"`
	ByCmdOut        map[string]int64 `json:"messages_out_by_cmd"`
	RateLimited     int64            `json:"rate_limited"`
	PushesDelivered int64            `json:"pushes_delivered"`
	PushesDropped   int64            `json:"pushes_dropped"`
	SlowConsumers   int64            `json:"slow_consumers"`
	BytesIn         int64            `json:"bytes_in"`
	BytesOut        int64            `json:"bytes_out"`
	LoopDelayMaxNs  int64            `json:"loop_delay_max_ns"`
	ShardDelayMaxNs int64            `json:"shard_delay_max_ns"`
	Loops           []loopDoc        `json:"loops"`
	Shards          []shardDoc       `json:"shards"`
	Cluster         json.RawMessage  `json:"cluster,omitempty"`
	Rooms           RoomStats        `json:"rooms"`
}

type loopDoc struct {
	Index    int   `json:"index"`
	Conns    int64 `json:"conns"`
	BusyNs   int64 `json:"busy_ns"`
	DelayNs  int64 `json:"delay_ns"`
	BytesIn  int64 `json:"bytes_in"`
	BytesOut int64 `json:"bytes_out"`
}

type shardDoc struct {
	Backlog int64 `json:"backlog"`
	DelayNs int64 `json:"delay_ns"`
}

// probeWait bounds the loop and shard delay probes of one stats request.
const probeWait = time.Second

// writeStats reports counts, memory, and the loops' and shards' load.
func writeStats(w http.ResponseWriter, ctx context.Context, g *Gateway, srv *engine.Server) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st := srv.Stats()
	cs := connStates(g, srv)
	d := statsDoc{Connections: st.Conns.Load(), Upgraded: st.Upgraded.Load(), Users: g.hub.UserCount(),
		Sessions: g.hub.SessionCount(), HeapAlloc: ms.HeapAlloc, HeapInuse: ms.HeapInuse, Sys: ms.Sys,
		Goroutines: runtime.NumGoroutine(), RSS: rssBytes(),
		TLSHandshakes: st.TLSHandshakes.Load(), TLSResumed: st.TLSResumed.Load(), TLSFailed: st.TLSFailed.Load(),
		TimeMs: time.Now().UnixMilli(), UptimeS: time.Since(g.ops.started).Seconds(),
		Draining: srv.Draining(), MaxConns: srv.Options().MaxConns,
		States: map[string]int64{"handshaking": cs.handshaking, "unauthenticated": cs.unauthenticated,
			"authenticated": cs.authenticated},
		Upgrades: st.Upgrades.Load(), Refusals: srv.Refusals(),
		Logins: g.ops.stats.get(cLogins), Refreshes: g.ops.stats.get(cRefreshes),
		AuthFailures: map[string]int64{}, ByCmdIn: map[string]int64{}, ByCmdOut: map[string]int64{},
		RateLimited: g.ops.stats.get(cRateLimited), PushesDelivered: g.hub.Delivered(),
		PushesDropped: g.hub.Dropped(), SlowConsumers: st.SlowConsumers.Load(), Cluster: g.clusterStats(),
		Rooms: g.RoomStats()}
	for i, l := range authLabels {
		d.AuthFailures[l] = g.ops.stats.get(cAuthFail + counter(i))
	}
	for i, l := range cmdLabels {
		in, out := g.ops.stats.get(cIn+counter(i)), g.ops.stats.get(cOut+counter(i))
		d.ByCmdIn[l], d.ByCmdOut[l] = in, out
		d.MessagesIn += in
		d.MessagesOut += out
	}
	ctx, cancel := context.WithTimeout(ctx, probeWait)
	defer cancel()
	d.addLoops(ctx, srv)
	d.addShards(ctx, g)
	b, err := json.Marshal(&d)
	if err != nil {
		writeError(w, errInternal)
		return
	}
	writeJSON(w, http.StatusOK, append(b, '\n'))
}

func (d *statsDoc) addLoops(ctx context.Context, srv *engine.Server) {
	loops := srv.LoopStats()
	delays := srv.LoopDelays(ctx)
	for i, ls := range loops {
		l := loopDoc{Index: ls.Index, Conns: ls.Conns.Load(), BusyNs: ls.BusyNanos.Load(),
			BytesIn: ls.BytesIn.Load(), BytesOut: ls.BytesOut.Load()}
		if i < len(delays) {
			l.DelayNs = int64(delays[i])
		}
		d.BytesIn += l.BytesIn
		d.BytesOut += l.BytesOut
		d.LoopDelayMaxNs = max(d.LoopDelayMaxNs, l.DelayNs)
		d.Loops = append(d.Loops, l)
	}
}

func (d *statsDoc) addShards(ctx context.Context, g *Gateway) {
	delays := g.hub.ShardDelays(ctx)
	for i, dl := range delays {
		d.Shards = append(d.Shards, shardDoc{Backlog: g.hub.ShardBacklog(i), DelayNs: int64(dl)})
		d.ShardDelayMaxNs = max(d.ShardDelayMaxNs, int64(dl))
	}
}
