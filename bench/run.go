package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// kindCounter counts events by kind. The zero value is ready; safe for
// concurrent use.
type kindCounter struct {
	mu sync.Mutex
	m  map[string]int64 // guarded by mu
}

func (k *kindCounter) add(kind string) {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]int64{}
	}
	k.m[kind]++
	k.mu.Unlock()
}

// snapshot returns a copy, nil when empty.
func (k *kindCounter) snapshot() map[string]int64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.m) == 0 {
		return nil
	}
	out := make(map[string]int64, len(k.m))
	for kind, n := range k.m {
		out[kind] = n
	}
	return out
}

func (k *kindCounter) total() int64 {
	var t int64
	for _, n := range k.snapshot() {
		t += n
	}
	return t
}

// runner holds what every scenario shares: the connect phase, the registry
// of open connections, counters and progress.
type runner struct {
	cfg  Config
	name string
	k    *connector

	errs  kindCounter // connects that failed, by kind
	drops kindCounter // established connections lost before the end, by kind

	attempts  atomic.Int64
	connected atomic.Int64
	live      atomic.Int64
	pings     atomic.Int64
	msgsOut   atomic.Int64 // scenario messages sent, for progress
	msgsIn    atomic.Int64 // scenario messages received, for progress

	mu    sync.Mutex
	conns []*conn // guarded by mu

	// onOpen, when set, runs on each new connection before connectAll can
	// return; body runs after.
	onOpen func(*conn)

	load [2]procSample // server processes at the start and end of the measurement
	self [2]procSample // this process, likewise

	wg           sync.WaitGroup // one per connection goroutine
	started      time.Time
	connectTime  time.Duration
	interrupted  bool
	stopProgress func()
}

func newRunner(name string, cfg Config, hello bool) *runner {
	r := &runner{cfg: cfg, name: name, started: time.Now()}
	r.k = newConnector(cfg, hello, &r.pings)
	r.stopProgress = r.progress()
	return r
}

// connectAll opens cfg.Conns connections at cfg.Rate with at most
// cfg.Concurrency handshakes in flight, and returns when every attempt has
// ended or ctx is done (then no more are started). Each open connection runs
// body on its own goroutine; a non-nil error from body, unless the run is
// closing that connection, is counted as a drop.
func (r *runner) connectAll(ctx context.Context, body func(*conn) error) {
	sem := make(chan struct{}, r.cfg.Concurrency)
	var pending sync.WaitGroup
	t0 := time.Now()
	for i := 0; i < r.cfg.Conns; i++ {
		if r.cfg.Rate > 0 {
			due := t0.Add(time.Duration(float64(i) / r.cfg.Rate * float64(time.Second)))
			if !sleepUntil(ctx, due) {
				break
			}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		pending.Add(1)
		r.wg.Add(1)
		go r.serve(i, sem, &pending, body)
	}
	pending.Wait()
	r.connectTime = time.Since(t0)
	r.interrupted = r.interrupted || ctx.Err() != nil
}

// serve connects connection i. On success it hands the connection to a
// fresh goroutine running body, so that the stack grown while dialing is
// not kept for the connection's lifetime.
func (r *runner) serve(i int, sem chan struct{}, pending *sync.WaitGroup, body func(*conn) error) {
	r.attempts.Add(1)
	c, err := r.k.open(i)
	<-sem
	if err != nil {
		r.errs.add(classify(err))
		pending.Done()
		r.wg.Done()
		return
	}
	r.mu.Lock()
	r.conns = append(r.conns, c)
	r.mu.Unlock()
	r.connected.Add(1)
	r.live.Add(1)
	if r.onOpen != nil {
		r.onOpen(c)
	}
	go r.runBody(c, body)
	pending.Done()
}

// runBody runs body on c until it returns, then closes c.
func (r *runner) runBody(c *conn, body func(*conn) error) {
	defer r.wg.Done()
	err := body(c)
	r.live.Add(-1)
	if !c.closing.Swap(true) {
		if err != nil {
			r.drops.add(classify(err))
		}
		_ = c.nc.Close()
	}
}

// openConns returns the connections still registered.
func (r *runner) openConns() []*conn {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*conn(nil), r.conns...)
}

// closeAll closes every connection and waits for their goroutines.
func (r *runner) closeAll() {
	for _, c := range r.openConns() {
		c.shutdown()
	}
	r.wg.Wait()
	r.stopProgress()
}

// hold waits for d or until ctx is done.
func (r *runner) hold(ctx context.Context, d time.Duration) time.Duration {
	start := time.Now()
	if !sleepUntil(ctx, start.Add(d)) {
		r.interrupted = true
	}
	return time.Since(start)
}

// sleepUntil waits until t; false when ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Counters are a run's running totals, as progress shows them.
type Counters struct {
	Requested int   `json:"requested"`
	Connected int64 `json:"connected"` // connects that succeeded so far
	Live      int64 `json:"live"`      // connections open now
	Errors    int64 `json:"errors"`    // connects that failed
	Drops     int64 `json:"drops"`     // connections lost before the end
	Out       int64 `json:"out"`       // scenario messages sent
	In        int64 `json:"in"`        // scenario messages received
}

// Add returns the sum of c and d.
func (c Counters) Add(d Counters) Counters {
	return Counters{Requested: c.Requested + d.Requested, Connected: c.Connected + d.Connected,
		Live: c.Live + d.Live, Errors: c.Errors + d.Errors, Drops: c.Drops + d.Drops,
		Out: c.Out + d.Out, In: c.In + d.In}
}

// counters reads the running totals.
func (r *runner) counters() Counters {
	return Counters{Requested: r.cfg.Conns, Connected: r.connected.Load(), Live: r.live.Load(),
		Errors: r.errs.total(), Drops: r.drops.total(), Out: r.msgsOut.Load(), In: r.msgsIn.Load()}
}

// ProgressLine formats one progress line: totals now, rates against the
// totals a second earlier.
func ProgressLine(name string, elapsed time.Duration, now, last Counters) string {
	return fmt.Sprintf("%-7s %5.0fs  conns %d/%d (+%d/s)  errors %d  drops %d  out %d/s  in %d/s\n",
		name, elapsed.Seconds(), now.Live, now.Requested, now.Connected-last.Connected,
		now.Errors, now.Drops, now.Out-last.Out, now.In-last.In)
}

// progress prints one line a second to cfg.Progress, or passes the counters
// to cfg.Tick, until the returned function is called.
func (r *runner) progress() func() {
	if r.cfg.Progress == nil && r.cfg.Tick == nil {
		return func() {}
	}
	done := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tk := time.NewTicker(time.Second)
		defer tk.Stop()
		var last Counters
		for {
			select {
			case <-done:
				return
			case <-tk.C:
			}
			now := r.counters()
			if r.cfg.Tick != nil {
				r.cfg.Tick(now)
			} else {
				_, _ = io.WriteString(r.cfg.Progress, ProgressLine(r.name, time.Since(r.started), now, last))
			}
			last = now
		}
	}()
	return func() {
		once.Do(func() { close(done) })
		wg.Wait()
	}
}

// markLoad samples the server processes (cfg.ServerPIDs) at the start
// (i = 0) or end (i = 1) of the measurement phase.
func (r *runner) markLoad(i int) {
	now := time.Now().UnixNano()
	if len(r.cfg.ServerPIDs) > 0 {
		r.load[i] = sampleProcs(r.cfg.ServerPIDs, now)
	}
	r.self[i] = sampleSelf(now)
}

// clientLoad is this process's load between the two marks.
func (r *runner) clientLoad(messages int64) *Load {
	if r.self[0].at == 0 || r.self[1].at == 0 {
		return nil
	}
	return serverLoad(r.self[0], r.self[1], messages)
}

// serverLoad is the server's load between the two marks, nil without
// server pids or marks.
func (r *runner) serverLoad(messages int64) *Load {
	if len(r.cfg.ServerPIDs) == 0 || r.load[0].at == 0 || r.load[1].at == 0 {
		return nil
	}
	return serverLoad(r.load[0], r.load[1], messages)
}

// sync passes a stage to cfg.Sync; false (and the run marked interrupted)
// when the run should end early.
func (r *runner) sync(ctx context.Context, stage string) bool {
	if r.cfg.Sync == nil {
		return true
	}
	if err := r.cfg.Sync(ctx, stage, r.counters()); err != nil || ctx.Err() != nil {
		r.interrupted = true
		return false
	}
	return true
}

// report fills the parts of a Report every scenario shares.
func (r *runner) report() *Report {
	rep := &Report{
		Scenario:       r.name,
		Targets:        r.cfg.Targets,
		Auth:           string(r.cfg.Auth),
		Started:        r.started,
		Requested:      r.cfg.Conns,
		Rate:           r.cfg.Rate,
		Connected:      r.connected.Load(),
		Failed:         r.attempts.Load() - r.connected.Load(),
		NotStarted:     int64(r.cfg.Conns) - r.attempts.Load(),
		ConnectSeconds: r.connectTime.Seconds(),
		Errors:         r.errs.snapshot(),
		Drops:          r.drops.snapshot(),
		Pings:          r.pings.Load(),
		Interrupted:    r.interrupted,
		Latency:        map[string]Summary{},
	}
	if s := r.connectTime.Seconds(); s > 0 {
		rep.ConnectRate = float64(rep.Connected) / s
	}
	for _, l := range []struct {
		name string
		rec  *recorder
	}{
		{name: LatencyTCP, rec: r.k.tcp},
		{name: LatencyUpgrade, rec: r.k.upgrade},
		{name: LatencyAuth, rec: r.k.auth},
	} {
		rep.addLatency(l.name, l.rec)
	}
	return rep
}

// sortedKinds returns the keys of m, largest count first.
func sortedKinds(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}

// pacer paces one sender at a rate per second, from a random phase within
// the first interval. It is owned by the sender's goroutine.
type pacer struct {
	interval time.Duration // 0: unpaced
	next     time.Time
}

// startPacer waits for start to be closed and returns the pacer of one
// sender sending rate messages per second (unpaced when rate <= 0); false
// when ctx ends first.
func startPacer(ctx context.Context, start <-chan struct{}, rate float64) (pacer, bool) {
	select {
	case <-start:
	case <-ctx.Done():
		return pacer{}, false
	}
	p := pacer{next: time.Now()}
	if rate > 0 {
		p.interval = time.Duration(float64(time.Second) / rate)
		p.next = p.next.Add(rand.N(p.interval + 1))
	}
	return p, true
}

// tick returns the time of the next send and moves on by one interval;
// false when unpaced (send at once).
func (p *pacer) tick() (time.Time, bool) {
	if p.interval <= 0 {
		return time.Time{}, false
	}
	t := p.next
	p.next = t.Add(p.interval)
	return t, true
}
