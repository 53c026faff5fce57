package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Latency names in Report.Latency.
const (
	LatencyTCP     = "tcp"     // dial start → TCP connected
	LatencyUpgrade = "upgrade" // dial start → 101 Switching Protocols read
	LatencyAuth    = "auth"    // dial start → first frame (or LOGIN answer) with code 200
	LatencyRTT     = "rtt"     // echo: frame written → its echo read
	LatencyAck     = "ack"     // chat: SEND written → its response read
	LatencyE2E     = "e2e"     // chat: SEND content timestamp → push read by the recipient
)

// latencyOrder is the order of latency rows in the table.
var latencyOrder = []string{LatencyTCP, LatencyUpgrade, LatencyAuth, LatencyRTT, LatencyAck, LatencyE2E}

// Report is the result of one run. It is plain data.
type Report struct {
	Scenario       string             `json:"scenario"`
	Targets        []string           `json:"targets"`
	Auth           string             `json:"auth"`
	Procs          int                `json:"procs,omitempty"` // child processes of a -procs run
	Started        time.Time          `json:"started"`
	Requested      int                `json:"conns_requested"`
	Rate           float64            `json:"rate,omitempty"` // connects per second asked for`
	Connected      int64              `json:"conns_connected"`
	Failed         int64              `json:"conns_failed"`
	NotStarted     int64              `json:"conns_not_started"`
	ConnectSeconds float64            `json:"connect_seconds"`
	ConnectRate    float64            `json:"connect_rate"` // connected per second of the connect phase
	Errors         map[string]int64   `json:"errors,omitempty"`
	Drops          map[string]int64   `json:"drops,omitempty"`
	Pings          int64              `json:"pings_answered"`
	HoldSeconds    float64            `json:"hold_seconds,omitempty"`
	Latency        map[string]Summary `json:"latency"`
	// Histograms holds each latency's HDR histogram (HdrHistogram's V2
	// compressed encoding, base64), so that reports of several processes or
	// machines merge exactly (Merge).
	Histograms  map[string]string `json:"histograms,omitempty"`
	Echo        *EchoReport       `json:"echo,omitempty"`
	Chat        *ChatReport       `json:"chat,omitempty"`
	Room        *RoomReport       `json:"room,omitempty"`
	Memory      *MemoryReport     `json:"memory,omitempty"`
	Server      *Load             `json:"server,omitempty"` // echo, chat: with server pids
	Client      *Load             `json:"client,omitempty"` // echo, chat: bench itself
	Stats       *StatsReport      `json:"stats,omitempty"`
	Interrupted bool              `json:"interrupted,omitempty"`
	Notes       []string          `json:"notes,omitempty"`
}

// EchoReport is the echo scenario's part of a Report.
type EchoReport struct {
	Payload    int     `json:"payload"`
	Binary     bool    `json:"binary"`
	Inflight   int     `json:"inflight"`
	Messages   int64   `json:"messages"` // echoes received in the measurement phase
	Rate       float64 `json:"msgs_per_sec"`
	Unexpected int64   `json:"unexpected"` // frames that matched no outstanding send
}

// ChatReport is the chat scenario's part of a Report.
type ChatReport struct {
	Payload  int     `json:"payload"`
	Inflight int     `json:"inflight"`
	MsgRate  float64 `json:"msg_rate_per_user"`
	Sent     int64   `json:"sent"`
	Acked    int64   `json:"acked"` // responses with code 200
	// AckedNotDelivered are acks with "delivered":0 (recipient offline).
	AckedNotDelivered int64            `json:"acked_not_delivered"`
	AckErrors         map[string]int64 `json:"ack_errors,omitempty"`
	Unacked           int64            `json:"unacked"`    // sent, no response by the end
	Delivered         int64            `json:"delivered"`  // distinct messages pushed to their recipient
	Duplicates        int64            `json:"duplicates"` // pushes of a message already delivered
	Lost              int64            `json:"lost"`       // acked but never pushed
	Foreign           int64            `json:"foreign"`    // pushes bench did not send
	SendRate          float64          `json:"sent_per_sec"`
	DeliverRate       float64          `json:"delivered_per_sec"`
	Churn             *ChurnReport     `json:"churn,omitempty"`
}

// MemoryReport is memory seen around the connect phase, in bytes.
type MemoryReport struct {
	ServerBefore  int64   `json:"server_rss_before,omitempty"`
	ServerAfter   int64   `json:"server_rss_after,omitempty"`
	ServerEnd     int64   `json:"server_rss_end,omitempty"`
	ServerPerConn float64 `json:"server_bytes_per_conn,omitempty"`
	ClientBefore  int64   `json:"client_rss_before"`
	ClientAfter   int64   `json:"client_rss_after"`
	ClientPerConn float64 `json:"client_bytes_per_conn"`
}

// WriteJSON writes r as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes r as a human-readable table.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 8, 1, ' ', 0)
	p := func(format string, a ...any) { fmt.Fprintf(tw, format, a...) }
	p("scenario\t %s → %s (auth %s)\n", r.Scenario, strings.Join(r.Targets, ","), r.Auth)
	if r.Procs > 1 {
		p("processes\t %d (connections, counts and histograms merged)\n", r.Procs)
	}
	p("connections\t %d requested, %d connected, %d failed, %d not started in %.2fs (%.0f/s)\n",
		r.Requested, r.Connected, r.Failed, r.NotStarted, r.ConnectSeconds, r.ConnectRate)
	if len(r.Errors) > 0 {
		p("errors\t %s\n", kinds(r.Errors))
	}
	if len(r.Drops) > 0 {
		p("drops\t %s\n", kinds(r.Drops))
	}
	if r.HoldSeconds > 0 {
		p("held\t %.2fs, %d pings answered\n", r.HoldSeconds, r.Pings)
	}
	r.echoRows(p)
	r.chatRows(p)
	r.roomRows(p)
	r.memoryRows(p)
	r.loadRows(p, "server", r.Server)
	r.loadRows(p, "client", r.Client)
	r.statsRows(p)
	if r.Interrupted {
		p("interrupted\t yes\n")
	}
	for _, n := range r.Notes {
		p("note\t %s\n", n)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return r.latencyTable(w)
}

func (r *Report) echoRows(p func(string, ...any)) {
	if e := r.Echo; e != nil {
		kind := "text"
		if e.Binary {
			kind = "binary"
		}
		p("echo\t %d msgs, %.0f msg/s, %d B %s, %d in flight per conn, %d unexpected\n",
			e.Messages, e.Rate, e.Payload, kind, e.Inflight, e.Unexpected)
	}
}

func (r *Report) chatRows(p func(string, ...any)) {
	c := r.Chat
	if c == nil {
		return
	}
	p("chat sent\t %d (%.0f/s), acked %d (%d of them not delivered), unacked %d\n",
		c.Sent, c.SendRate, c.Acked, c.AckedNotDelivered, c.Unacked)
	if len(c.AckErrors) > 0 {
		p("chat ack errors\t %s\n", kinds(c.AckErrors))
	}
	p("chat delivered\t %d (%.0f/s), lost %d, duplicates %d, foreign %d\n",
		c.Delivered, c.DeliverRate, c.Lost, c.Duplicates, c.Foreign)
	if ch := c.Churn; ch != nil {
		p("chat churn\t %.3g/s per user: %d reconnects (%d failed); acked and never received %d, out of order %d, own copies replayed %d, resumes lost %d\n",
			ch.Rate, ch.Reconnects, ch.ReconnectErrors, ch.AckedLost, ch.OutOfOrder, ch.Own, ch.SyncLost)
	}
}

func (r *Report) memoryRows(p func(string, ...any)) {
	m := r.Memory
	if m == nil {
		return
	}
	if m.ServerAfter > 0 {
		p("server RSS\t %s → %s (%s/conn), at end %s\n",
			fmtBytes(float64(m.ServerBefore)), fmtBytes(float64(m.ServerAfter)),
			fmtBytes(m.ServerPerConn), fmtBytes(float64(m.ServerEnd)))
	}
	p("client RSS\t %s → %s (%s/conn)\n",
		fmtBytes(float64(m.ClientBefore)), fmtBytes(float64(m.ClientAfter)), fmtBytes(m.ClientPerConn))
}

func (r *Report) loadRows(p func(string, ...any), who string, s *Load) {
	if s == nil {
		return
	}
	p("%s CPU\t %.2fs in %.2fs (%.2f cores), %.0f msgs per CPU-second\n",
		who, s.CPUSeconds, s.Seconds, s.CoresUsed, s.MsgsPerCPUSec)
	p("%s syscalls\t %d reads + %d writes for %d msgs = %.3f per msg\n",
		who, s.ReadSyscalls, s.WriteSyscalls, s.Messages, s.SyscallsPerMsg)
	if who == "server" {
		p("server RSS\t %s → %s\n", fmtBytes(float64(s.RSSStart)), fmtBytes(float64(s.RSSEnd)))
	}
	if s.Error != "" {
		p("%s error\t %s\n", who, s.Error)
	}
}

func (r *Report) latencyTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-8s\tcount\tmin\tmean\tp50\tp90\tp99\tp99.9\tmax\t\n", "latency")
	for _, name := range latencyOrder {
		s, ok := r.Latency[name]
		if !ok {
			continue
		}
		fmt.Fprintf(tw, "%-8s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", name, s.Count,
			fmtMicros(float64(s.Min)), fmtMicros(s.Mean), fmtMicros(float64(s.P50)), fmtMicros(float64(s.P90)),
			fmtMicros(float64(s.P99)), fmtMicros(float64(s.P999)), fmtMicros(float64(s.Max)))
	}
	return tw.Flush()
}

// kinds formats counts by kind, largest first: "refused 3, timeout 1".
func kinds(m map[string]int64) string {
	parts := make([]string, 0, len(m))
	for _, k := range sortedKinds(m) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// fmtMicros formats microseconds with about three significant digits.
func fmtMicros(us float64) string {
	switch {
	case us < 999.5:
		return fmt.Sprintf("%.0fµs", us)
	case us < 999.5e3:
		return sig3(us/1e3) + "ms"
	default:
		return sig3(us/1e6) + "s"
	}
}

// sig3 formats v ≥ 1 with three significant digits, without exponents.
func sig3(v float64) string {
	switch {
	case v < 9.995:
		return fmt.Sprintf("%.2f", v)
	case v < 99.95:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

// fmtBytes formats a byte count with binary units.
func fmtBytes(b float64) string {
	neg := ""
	if b < 0 {
		neg, b = "-", -b
	}
	switch {
	case b < 1<<10:
		return fmt.Sprintf("%s%.0f B", neg, b)
	case b < 1<<20:
		return fmt.Sprintf("%s%.1f KiB", neg, b/(1<<10))
	case b < 1<<30:
		return fmt.Sprintf("%s%.1f MiB", neg, b/(1<<20))
	default:
		return fmt.Sprintf("%s%.2f GiB", neg, b/(1<<30))
	}
}
