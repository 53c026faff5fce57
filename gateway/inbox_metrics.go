package gateway

import "github.com/prometheus/client_golang/prometheus"

var (
	descInboxEntries  = desc("inbox_entries", "Entries held by the inbox store.")
	descInboxBytes    = desc("inbox_bytes", "Bytes held by the inbox store (data, user IDs and 48 bytes per entry), bounded by -inbox-max-bytes.")
	descInboxAppends  = desc("inbox_appends_total", "Entries appended to the inbox store.")
	descInboxPruned   = desc("inbox_pruned_total", "Entries pruned by retention, -inbox-max-entries or -inbox-max-bytes.")
	descInboxFailed   = desc("inbox_failures_total", "Inbox store calls that failed (a SEND answered 503, a SYNC or ACK failed).")
	descInboxGaps     = desc("inbox_gaps_total", "Live entries whose prev_offset did not follow the session's last one, so the session read the store.")
	descInboxReplayed = desc("inbox_replayed_total", "Entries written to sessions from the store (resume, SYNC, gaps).")
)

// inboxCollector reports the inbox; nothing with the inbox off.
type inboxCollector struct{ g *Gateway }

// Describe sends every descriptor.
func (c inboxCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descInboxEntries, descInboxBytes, descInboxAppends, descInboxPruned,
		descInboxFailed, descInboxGaps, descInboxReplayed} {
		ch <- d
	}
}

// Collect reads the store's and the gateway's inbox counters.
func (c inboxCollector) Collect(ch chan<- prometheus.Metric) {
	if c.g.ib == nil {
		return
	}
	st := c.g.ib.store.Stats()
	for _, m := range []struct {
		d    *prometheus.Desc
		kind prometheus.ValueType
		v    int64
	}{
		{descInboxEntries, prometheus.GaugeValue, st.Entries},
		{descInboxBytes, prometheus.GaugeValue, st.Bytes},
		{descInboxAppends, prometheus.CounterValue, st.Appends},
		{descInboxPruned, prometheus.CounterValue, st.Pruned},
		{descInboxFailed, prometheus.CounterValue, c.g.inboxStats.failed.Load()},
		{descInboxGaps, prometheus.CounterValue, c.g.inboxStats.gaps.Load()},
		{descInboxReplayed, prometheus.CounterValue, c.g.inboxStats.replayed.Load()},
	} {
		ch <- prometheus.MustNewConstMetric(m.d, m.kind, float64(m.v))
	}
}
