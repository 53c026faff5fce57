package bench

import (
	"fmt"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram range and precision: microseconds from 0 to one minute, three
// significant digits. Larger values are clamped to the top.
const (
	histMaxMicros = int64(time.Minute / time.Microsecond)
	histDigits    = 3
	histShards    = 8
)

// recorder is a latency histogram sharded by connection to keep lock
// contention low. The zero value is ready; safe for concurrent use.
type recorder struct {
	shards [histShards]histShard
}

type histShard struct {
	mu sync.Mutex
	h  *hdr.Histogram // created on first use; guarded by mu
	_  [48]byte       // keep shards on separate cache lines
}

func newHist() *hdr.Histogram {
	return hdr.New(1, histMaxMicros, histDigits)
}

// newRecorder returns a recorder with every shard allocated, so that
// memory sampled later does not count the histograms.
func newRecorder() *recorder {
	r := new(recorder)
	for i := range r.shards {
		r.shards[i].h = newHist()
	}
	return r
}

// record adds one latency; key picks the shard (a connection index).
func (r *recorder) record(key int, d time.Duration) {
	us := min(max(d.Microseconds(), 0), histMaxMicros)
	s := &r.shards[uint(key)%histShards]
	s.mu.Lock()
	if s.h == nil {
		s.h = newHist()
	}
	_ = s.h.RecordValue(us)
	s.mu.Unlock()
}

// merged returns one histogram with every shard's values.
func (r *recorder) merged() *hdr.Histogram {
	out := newHist()
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		if s.h != nil {
			out.Merge(s.h)
		}
		s.mu.Unlock()
	}
	return out
}

// summary summarizes what was recorded so far.
func (r *recorder) summary() Summary {
	return summarize(r.merged())
}

// Summary is a latency distribution in microseconds.
type Summary struct {
	Count int64   `json:"count"`
	Min   int64   `json:"min_us"`
	Mean  float64 `json:"mean_us"`
	P50   int64   `json:"p50_us"`
	P90   int64   `json:"p90_us"`
	P99   int64   `json:"p99_us"`
	P999  int64   `json:"p999_us"`
	Max   int64   `json:"max_us"`
}

func summarize(h *hdr.Histogram) Summary {
	if h.TotalCount() == 0 {
		return Summary{}
	}
	return Summary{
		Count: h.TotalCount(),
		Min:   h.Min(),
		Mean:  h.Mean(),
		P50:   h.ValueAtQuantile(50),
		P90:   h.ValueAtQuantile(90),
		P99:   h.ValueAtQuantile(99),
		P999:  h.ValueAtQuantile(99.9),
		Max:   h.Max(),
	}
}

// encodeHist returns h in HdrHistogram's V2 compressed encoding, base64:
// the form other HdrHistogram implementations read too.
func encodeHist(h *hdr.Histogram) (string, error) {
	b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	return string(b), err
}

// decodeHist reads what encodeHist wrote into a histogram of bench's own
// range and precision (values past its top are clamped to it).
func decodeHist(s string) (*hdr.Histogram, error) {
	in, err := hdr.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadHistogram, err)
	}
	out := newHist()
	if in.SignificantFigures() == histDigits && in.HighestTrackableValue() <= histMaxMicros {
		out.Merge(in)
		return out, nil
	}
	for _, b := range in.Distribution() {
		if b.Count > 0 {
			_ = out.RecordValues(min(max(b.From, 0), histMaxMicros), b.Count)
		}
	}
	return out, nil
}

// addLatency puts what rec recorded into rep, as a summary and as an
// encoded histogram; nothing when rec is empty.
func (rep *Report) addLatency(name string, rec *recorder) {
	h := rec.merged()
	if h.TotalCount() == 0 {
		return
	}
	rep.setHist(name, h)
}

// setHist sets latency name of rep from h.
func (rep *Report) setHist(name string, h *hdr.Histogram) {
	if rep.Latency == nil {
		rep.Latency = map[string]Summary{}
	}
	rep.Latency[name] = summarize(h)
	enc, err := encodeHist(h)
	if err != nil {
		rep.Notes = append(rep.Notes, fmt.Sprintf("latency %s: histogram not encoded: %v", name, err))
		return
	}
	if rep.Histograms == nil {
		rep.Histograms = map[string]string{}
	}
	rep.Histograms[name] = enc
}
