package dashboard

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// The page is served whole, with a policy that lets it reach only its own
// origin, and names no other host: nothing comes from a CDN.
func TestHandler(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, tc := range []struct{ header, want string }{
		{"Content-Type", "text/html; charset=utf-8"},
		{"Content-Security-Policy", "connect-src 'self'"},
		{"X-Content-Type-Options", "nosniff"},
	} {
		if got := resp.Header.Get(tc.header); !strings.Contains(got, tc.want) {
			t.Errorf("%s %q, want %q in it", tc.header, got, tc.want)
		}
	}
	if resp.StatusCode != http.StatusOK || len(body) != len(page) {
		t.Fatalf("status %d, %d bytes", resp.StatusCode, len(body))
	}
	// The only URL in the page is the SVG namespace (an identifier, never
	// fetched).
	for _, u := range regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^"' )]*`).FindAllString(string(body), -1) {
		if u != "http://www.w3.org/2000/svg" {
			t.Errorf("the page refers to %s", u)
		}
	}
	for _, id := range []string{"v-conns", "v-hs", "v-msgs", "v-lat", "v-mem", `fetch("/api/stats"`} {
		if !strings.Contains(string(body), id) {
			t.Errorf("the page lacks %s", id)
		}
	}
}
