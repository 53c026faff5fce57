package gateway

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/imgate/gateway/engine"
)

// The metrics are read at scrape time from counters that the engine, the
// hub and the gateway keep anyway (typed atomics, striped or per loop and
// per shard): nothing on the message path looks up a label. Label values
// are fixed sets (states, results, reasons, cmd_ids, close codes, loop and
// shard numbers); never a user id, token or address.

// NewRegistry returns a Prometheus registry holding the gateway's metrics
// (namespace "imgate") and the Go runtime and process collectors.
func NewRegistry(g *Gateway, srv *engine.Server) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newCollector(g, srv), inboxCollector{g}, roomCollector{g},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("imgate_"+name, help, labels, nil)
}

var (
	descConns         = desc("connections", "Open connections by state.", "state")
	descHandshakes    = desc("handshakes_total", "Connection attempts by result: upgraded, or the HTTP refusal.", "result")
	descAuthFailures  = desc("auth_failures_total", "Authentication failures by reason.", "reason")
	descLogins        = desc("logins_total", "Successful logins (cmd 1001 and POST /api/login).")
	descRefreshes     = desc("refreshes_total", "Successful token refreshes (cmd 1004 and POST /api/refresh-token).")
	descMsgsIn        = desc("messages_in_total", "Client messages by cmd_id (other: unknown, malformed or binary).", "cmd")
	descMsgsOut       = desc("messages_out_total", "Responses by the request's cmd_id, and pushes the gateway wrote itself by cmd_id.", "cmd")
	descRateLimited   = desc("messages_rate_limited_total", "Client messages answered 429 by the per-connection message rate.")
	descBytesIn       = desc("bytes_in_total", "Bytes read from client sockets.")
	descBytesOut      = desc("bytes_out_total", "Bytes written to client sockets.")
	descPushes        = desc("pushes_delivered_total", "Pushes handed to a recipient session's queue.")
	descPushesDropped = desc("pushes_dropped_total", "Pushes a recipient session refused (closing or over its write queue).")
	descSlow          = desc("slow_consumer_closes_total", "Connections closed 4008 because their write queue overflowed.")
	descCloseCodes    = desc("close_codes_total", "Close frames the server initiated, by code (other: outside 1000-1015 and 4000-4099).", "code")
	descShardDepth    = desc("shard_queue_depth", "Operations queued on a hub shard and not yet run.", "shard")
	descLoopBusy      = desc("loop_busy_seconds_total", "Time an event loop spent in the engine's callbacks (sampled estimate).", "loop")
	descLoopConns     = desc("loop_connections", "Open sockets per event loop.", "loop")
	descUsers         = desc("users", "Users with at least one authenticated session.")
	descDraining      = desc("draining", "1 while the gateway drains for shutdown.")
	descMaxConns      = desc("max_conns", "The connection cap (-max-conns); 0: none.")
)

// collector reads the gateway's counters at scrape time.
type collector struct {
	g   *Gateway
	srv *engine.Server
}

func newCollector(g *Gateway, srv *engine.Server) *collector { return &collector{g: g, srv: srv} }

// Describe sends every descriptor.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descConns, descHandshakes, descAuthFailures, descLogins,
		descRefreshes, descMsgsIn, descMsgsOut, descRateLimited, descBytesIn, descBytesOut, descPushes,
		descPushesDropped, descSlow, descCloseCodes, descShardDepth, descLoopBusy, descLoopConns,
		descUsers, descDraining, descMaxConns} {
		ch <- d
	}
}

// Collect reads the counters.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	counterM := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	cs := connStates(c.g, c.srv)
	gauge(descConns, float64(cs.handshaking), "handshaking")
	gauge(descConns, float64(cs.unauthenticated), "unauthenticated")
	gauge(descConns, float64(cs.authenticated), "authenticated")
	c.collectHandshakes(counterM)
	st := &c.g.ops.stats
	for i, l := range authLabels {
		counterM(descAuthFailures, st.get(cAuthFail+counter(i)), l)
	}
	counterM(descLogins, st.get(cLogins))
	counterM(descRefreshes, st.get(cRefreshes))
	for i, l := range cmdLabels {
		counterM(descMsgsIn, st.get(cIn+counter(i)), l)
		counterM(descMsgsOut, st.get(cOut+counter(i)), l)
	}
	counterM(descRateLimited, st.get(cRateLimited))
	counterM(descPushes, c.g.hub.Delivered())
	counterM(descPushesDropped, c.g.hub.Dropped())
	counterM(descSlow, c.srv.Stats().SlowConsumers.Load())
	c.collectLoops(ch, counterM)
	for i := range c.g.hub.Shards() {
		gauge(descShardDepth, float64(c.g.hub.ShardBacklog(i)), strconv.Itoa(i))
	}
	gauge(descUsers, float64(c.g.hub.UserCount()))
	gauge(descDraining, boolFloat(c.srv.Draining()))
	gauge(descMaxConns, float64(c.srv.Options().MaxConns))
}

func (c *collector) collectHandshakes(counterM func(*prometheus.Desc, int64, ...string)) {
	r := c.srv.Refusals()
	counterM(descHandshakes, c.srv.Stats().Upgrades.Load(), "upgraded")
	counterM(descHandshakes, r.BadRequest, "bad_request")
	counterM(descHandshakes, r.Forbidden, "forbidden_origin")
	counterM(descHandshakes, r.NotFound, "not_found")
	counterM(descHandshakes, r.TooMany, "rate_limited")
	counterM(descHandshakes, r.TooLarge, "head_too_large")
	counterM(descHandshakes, r.Unavailable, "unavailable")
	counterM(descHandshakes, r.Dropped, "dropped")
	counterM(descHandshakes, r.Timeout, "timeout")
	counterM(descHandshakes, r.Unauthorized, "unauthorized")
}

func (c *collector) collectLoops(ch chan<- prometheus.Metric, counterM func(*prometheus.Desc, int64, ...string)) {
	var in, out int64
	codes := map[uint16]int64{}
	for _, ls := range c.srv.LoopStats() {
		in += ls.BytesIn.Load()
		out += ls.BytesOut.Load()
		loop := strconv.Itoa(ls.Index)
		ch <- prometheus.MustNewConstMetric(descLoopConns, prometheus.GaugeValue, float64(ls.Conns.Load()), loop)
		ch <- prometheus.MustNewConstMetric(descLoopBusy, prometheus.CounterValue, float64(ls.BusyNanos.Load())/1e9, loop)
		ls.CloseCodes(func(code uint16, n int64) { codes[code] += n })
	}
	counterM(descBytesIn, in)
	counterM(descBytesOut, out)
	for code, n := range codes {
		label := "other"
		if code != 0 {
			label = strconv.Itoa(int(code))
		}
		counterM(descCloseCodes, n, label)
	}
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// connCounts is the open connections by state.
type connCounts struct {
	handshaking, unauthenticated, authenticated int64
}

// connStates splits the engine's sockets by state. The hub's session count
// trails Add/Remove by a queue's length, so the split is approximate while
// connections come and go.
func connStates(g *Gateway, srv *engine.Server) connCounts {
	st := srv.Stats()
	upgraded := st.Upgraded.Load()
	auth := min(g.hub.SessionCount(), upgraded)
	return connCounts{handshaking: max(0, st.Conns.Load()-upgraded),
		unauthenticated: max(0, upgraded-auth), authenticated: auth}
}
