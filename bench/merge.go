package bench

import (
	"fmt"
	"sort"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Merge combines the reports of runs made at the same time against the
// same servers (the child processes of -procs, or bench processes on
// several machines) into one: counts add up, rates add up, phase times are
// the longest, and latencies come from the merged HDR histograms, so
// percentiles are exact, not averages of percentiles. Reports of different
// scenarios are refused. Latencies of a report without histograms are
// dropped, with a note.
func Merge(reps []*Report) (*Report, error) {
	if len(reps) == 0 {
		return nil, fmt.Errorf("%w: no reports", ErrMerge)
	}
	out := &Report{Scenario: reps[0].Scenario, Targets: reps[0].Targets, Auth: reps[0].Auth,
		Started: reps[0].Started, Latency: map[string]Summary{}}
	hists := map[string]*hdr.Histogram{}
	for i, r := range reps {
		if r.Scenario != out.Scenario {
			return nil, fmt.Errorf("%w: scenario %q and %q", ErrMerge, out.Scenario, r.Scenario)
		}
		mergeCounts(out, r)
		if err := mergeHists(hists, r); err != nil {
			return nil, fmt.Errorf("report %d: %w", i+1, err)
		}
		if len(r.Latency) > len(r.Histograms) {
			out.Notes = append(out.Notes, fmt.Sprintf("report %d has latencies without histograms: left out", i+1))
		}
		out.Echo = mergeEcho(out.Echo, r.Echo)
		out.Chat = mergeChat(out.Chat, r.Chat)
		out.Room = mergeRoom(out.Room, r.Room)
		out.Memory = mergeMemory(out.Memory, r.Memory)
		if out.Stats == nil {
			out.Stats = r.Stats
		}
		if out.Server == nil {
			out.Server = r.Server
		}
		out.Client = addLoad(out.Client, r.Client)
		for _, n := range r.Notes {
			out.Notes = append(out.Notes, fmt.Sprintf("report %d: %s", i+1, n))
		}
	}
	if out.ConnectSeconds > 0 {
		out.ConnectRate = float64(out.Connected) / out.ConnectSeconds
	}
	if c := out.Chat; c != nil {
		c.Lost = max(c.Acked-c.Delivered, 0)
	}
	if out.Client != nil {
		c := *out.Client // never one of the inputs
		c.perMessage(mergedMessages(out))
		out.Client = &c
	}
	if m := out.Memory; m != nil && out.Connected > 0 {
		m.ClientPerConn = float64(m.ClientAfter-m.ClientBefore) / float64(out.Connected)
		if m.ServerAfter > 0 {
			m.ServerPerConn = float64(m.ServerAfter-m.ServerBefore) / float64(out.Connected)
		}
	}
	names := make([]string, 0, len(hists))
	for name := range hists {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		out.setHist(name, hists[name])
	}
	return out, nil
}

// mergeCounts adds r's connection counts and phase times to out.
func mergeCounts(out, r *Report) {
	if r.Started.Before(out.Started) {
		out.Started = r.Started
	}
	out.Requested += r.Requested
	out.Rate += r.Rate
	out.Connected += r.Connected
	out.Failed += r.Failed
	out.NotStarted += r.NotStarted
	out.ConnectSeconds = max(out.ConnectSeconds, r.ConnectSeconds)
	out.HoldSeconds = max(out.HoldSeconds, r.HoldSeconds)
	out.Pings += r.Pings
	out.Interrupted = out.Interrupted || r.Interrupted
	out.Errors = addKinds(out.Errors, r.Errors)
	out.Drops = addKinds(out.Drops, r.Drops)
}

// mergeHists decodes r's histograms into hists.
func mergeHists(hists map[string]*hdr.Histogram, r *Report) error {
	for name, enc := range r.Histograms {
		h, err := decodeHist(enc)
		if err != nil {
			return fmt.Errorf("latency %s: %w", name, err)
		}
		if hists[name] == nil {
			hists[name] = newHist()
		}
		hists[name].Merge(h)
	}
	return nil
}

func addKinds(dst, src map[string]int64) map[string]int64 {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = map[string]int64{}
	}
	for k, n := range src {
		dst[k] += n
	}
	return dst
}

func mergeEcho(a, b *EchoReport) *EchoReport {
	if b == nil {
		return a
	}
	if a == nil {
		c := *b
		return &c
	}
	a.Messages += b.Messages
	a.Rate += b.Rate
	a.Unexpected += b.Unexpected
	return a
}

func mergeChat(a, b *ChatReport) *ChatReport {
	if b == nil {
		return a
	}
	if a == nil {
		c := *b
		c.AckErrors = addKinds(nil, b.AckErrors)
		return &c
	}
	a.Sent += b.Sent
	a.Acked += b.Acked
	a.AckedNotDelivered += b.AckedNotDelivered
	a.AckErrors = addKinds(a.AckErrors, b.AckErrors)
	a.Unacked += b.Unacked
	a.Delivered += b.Delivered
	a.Duplicates += b.Duplicates
	a.Foreign += b.Foreign
	a.SendRate += b.SendRate
	a.DeliverRate += b.DeliverRate
	return a
}

// mergeMemory adds up client memory (each report is its own process) and
// takes server memory from the first report that has it: processes of one
// run sample the same server.
func mergeMemory(a, b *MemoryReport) *MemoryReport {
	if b == nil {
		return a
	}
	if a == nil {
		a = &MemoryReport{}
	}
	a.ClientBefore += b.ClientBefore
	a.ClientAfter += b.ClientAfter
	if a.ServerAfter == 0 {
		a.ServerBefore, a.ServerAfter, a.ServerEnd = b.ServerBefore, b.ServerAfter, b.ServerEnd
	}
	return a
}

// mergedMessages is what per-message load figures divide by: echoes, or
// chat messages delivered.
func mergedMessages(r *Report) int64 {
	switch {
	case r.Echo != nil:
		return r.Echo.Messages
	case r.Chat != nil:
		return r.Chat.Delivered
	case r.Room != nil:
		return r.Room.Delivered
	}
	return 0
}
