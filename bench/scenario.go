package bench

import (
	"context"
	"fmt"
	"sort"
)

// Scenario is one of the scenario functions: Connect, Idle, Echo, Chat.
type Scenario func(context.Context, Config) (*Report, error)

var scenarios = map[string]Scenario{
	"connect": Connect,
	"idle":    Idle,
	"echo":    Echo,
	"chat":    Chat,
	"room":    Room,
}

// Lookup returns the scenario with the given name.
func Lookup(name string) (Scenario, bool) {
	s, ok := scenarios[name]
	return s, ok
}

// ScenarioNames returns the names Lookup knows, sorted.
func ScenarioNames() []string {
	names := make([]string, 0, len(scenarios))
	for n := range scenarios {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Shard returns the part of c that process k of n runs in a run spread
// over n processes: a contiguous range of the connections (sizes differ by
// at most one) with their users, its share of an explicit Rate (a Ramp
// applies to each part as it is), and the whole run's user count for
// Chat's recipients. Server memory and stats are left to the parent, which
// samples them once for the run.
func (c Config) Shard(k, n int) (Config, error) {
	if n < 1 || k < 0 || k >= n || c.Conns < n {
		return c, fmt.Errorf("%w: process %d of %d for %d connections (want 0 ≤ k < n ≤ -conns)", ErrBadConfig, k, n, c.Conns)
	}
	lo, hi := k*c.Conns/n, (k+1)*c.Conns/n
	s := c
	s.Conns = hi - lo
	s.FirstConn = c.FirstConn + lo
	s.FirstUser = c.FirstUser + lo
	s.PeerUsers = max(c.PeerUsers, c.Conns)
	if c.Rate > 0 {
		s.Rate = c.Rate * float64(s.Conns) / float64(c.Conns)
	}
	s.ServerPIDs, s.StatsURL = nil, ""
	return s, nil
}
