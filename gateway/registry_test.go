package gateway

import (
	"strings"
	"testing"

	"github.com/imgate/gateway/cluster"
)

func TestJudge(t *testing.T) {
	list := func(spec string) []cluster.Session { // "id:platform id:platform …"
		var out []cluster.Session
		for _, f := range strings.Fields(spec) {
			id, p, _ := strings.Cut(f, ":")
			out = append(out, cluster.Session{ID: id, Node: "n", Platform: p})
		}
		return out
	}
	ids := func(l []cluster.Session) string {
		var s []string
		for _, e := range l {
			s = append(s, e.ID)
		}
		return strings.Join(s, " ")
	}
	for _, tc := range []struct {
		name   string
		policy Policy
		max    int
		in     string
		want   string
	}{
		{name: "single", policy: PolicySingle, in: "a:web b:ios c:web", want: "c"},
		{name: "single alone", policy: PolicySingle, in: "a:web", want: "a"},
		{name: "per-platform", policy: PolicyPerPlatform, in: "a:web b:ios c:web", want: "b c"},
		{name: "per-platform, no platform is one", policy: PolicyPerPlatform, in: "a: b:ios c:", want: "b c"},
		{name: "multi under the cap", policy: PolicyMulti, max: 3, in: "a: b: c:", want: "a b c"},
		{name: "multi over the cap", policy: PolicyMulti, max: 2, in: "a: b: c:", want: "b c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &Gateway{policy: tc.policy, maxSessions: tc.max}
			if got := ids(g.judge(list(tc.in))); got != tc.want {
				t.Fatalf("kept %q, want %q", got, tc.want)
			}
		})
	}
}
