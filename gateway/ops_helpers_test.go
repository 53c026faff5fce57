package gateway

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/imgate/gateway/internal/testutil"
)

// serveAPI serves the stack's HTTP API on 127.0.0.1:0 and returns its base
// URL.
func (st *stack) serveAPI(t testing.TB) string {
	t.Helper()
	ts := httptest.NewServer(NewAPI(st.gw, st.srv))
	t.Cleanup(ts.Close)
	return ts.URL
}

// scrape fetches /metrics and parses it.
func scrape(t testing.TB, base string) map[string]*dto.MetricFamily {
	t.Helper()
	status, body := testutil.Get(t, base+"/metrics")
	if status != http.StatusOK {
		t.Fatalf("/metrics: %d %s", status, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mf, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return mf
}

// metricValue is the value of the series of family name whose labels
// include the given name=value pairs; ok false when there is none.
func metricValue(mf map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	f := mf[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

// wantMetric returns a check for eventually: family name with labels has
// value want.
func wantMetric(t testing.TB, base, name string, want float64, labels ...string) func() error {
	return func() error {
		got, ok := metricValue(scrape(t, base), name, labels...)
		switch {
		case !ok:
			return fmt.Errorf("%s%v missing", name, labels)
		case got != want:
			return fmt.Errorf("%s%v = %v, want %v", name, labels, got, want)
		}
		return nil
	}
}
