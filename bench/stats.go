package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Stats endpoint limits.
const (
	statsTimeout  = 5 * time.Second
	statsMaxBody  = 1 << 20
	statsMaxRows  = 40
	statsRawShown = 2048
)

// StatsReport holds the gateway's stats endpoint before and after the
// connect phase. Before and After are the bodies as fetched (JSON when they
// were JSON, else a JSON string). Deltas lists the numeric fields that
// changed, with dotted paths for nested objects.
type StatsReport struct {
	URL    string          `json:"url"`
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
	Deltas []StatDelta     `json:"deltas,omitempty"`
	Error  string          `json:"error,omitempty"`
}

// StatDelta is one numeric stats field that changed.
type StatDelta struct {
	Key     string  `json:"key"`
	Before  float64 `json:"before"`
	After   float64 `json:"after"`
	PerConn float64 `json:"per_conn"`
}

// fetchStats GETs url and returns the body.
func fetchStats(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, statsTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, statsMaxBody))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("bench: stats endpoint answered HTTP %d", resp.StatusCode)
	}
	return body, nil
}

// rawJSON returns b itself when it is JSON (compacted), else b as a JSON string.
func rawJSON(b []byte) json.RawMessage {
	var buf bytes.Buffer
	if json.Compact(&buf, b) == nil {
		return buf.Bytes()
	}
	s, _ := json.Marshal(string(b))
	return s
}

// statDeltas compares the numeric fields of two JSON documents.
func statDeltas(before, after []byte, conns int64) []StatDelta {
	b, a := map[string]float64{}, map[string]float64{}
	flattenJSON(before, b)
	flattenJSON(after, a)
	var out []StatDelta
	for k, av := range a {
		bv, ok := b[k]
		if !ok || av == bv {
			continue
		}
		d := StatDelta{Key: k, Before: bv, After: av}
		if conns > 0 {
			d.PerConn = (av - bv) / float64(conns)
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// flattenJSON puts every number of a JSON document into out under its dotted path.
func flattenJSON(doc []byte, out map[string]float64) {
	var v any
	if json.Unmarshal(doc, &v) != nil {
		return
	}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case float64:
			if !math.IsNaN(x) {
				out[prefix] = x
			}
		case map[string]any:
			for k, e := range x {
				walk(strings.TrimPrefix(prefix+"."+k, "."), e)
			}
		}
	}
	walk("", v)
}

func (r *Report) statsRows(p func(string, ...any)) {
	s := r.Stats
	if s == nil {
		return
	}
	if s.Error != "" {
		p("stats\t %s: %s\n", s.URL, s.Error)
	}
	if len(s.Deltas) == 0 {
		raw := string(s.After)
		if len(raw) > statsRawShown {
			raw = raw[:statsRawShown] + "…"
		}
		if raw != "" {
			p("stats after\t %s\n", raw)
		}
		return
	}
	for i, d := range s.Deltas {
		if i == statsMaxRows {
			p("stats\t (%d more in -json)\n", len(s.Deltas)-i)
			break
		}
		p("stats %s\t %g → %g (%+.4g/conn)\n", d.Key, d.Before, d.After, d.PerConn)
	}
}
