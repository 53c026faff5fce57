package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"
)

// Bounds of a run spread over processes.
const (
	// childGrace is how long children get, after an interrupt was passed
	// to them, before they are killed.
	childGrace = 15 * time.Second
	// maxChildLine bounds one line from a child (a report with histograms).
	maxChildLine = 16 << 20
)

// RunProcs runs the named scenario over n child processes, each running
// cfg.Shard(k, n) with RunChild, and merges their reports (Merge: the HDR
// histograms are merged, so percentiles are those of the whole run). It is
// how one run gets past the open-files limit of a process. command(k)
// returns the unstarted command of child k (cmd/bench re-runs itself with
// -child k/n); RunProcs sets its stdin and stdout and leaves stderr to the
// caller.
//
// The children connect at the same time, then wait for each other at every
// stage, so that their measurement phases coincide; the parent samples the
// server's memory (cfg.ServerPIDs) and the stats endpoint once for the run,
// at those stages. Progress lines add up the children's counters. When ctx
// ends, the children are interrupted (SIGINT) and still report; any still
// running childGrace later are killed.
func RunProcs(ctx context.Context, name string, cfg Config, n int, command func(k int) *exec.Cmd) (*Report, error) {
	if _, ok := Lookup(name); !ok {
		return nil, fmt.Errorf("%w: unknown scenario %q", ErrBadConfig, name)
	}
	full, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := checkProcs(full, n); err != nil {
		return nil, err
	}
	p := &parent{name: name, cfg: full, n: n, started: time.Now(), mem: &MemoryReport{}}
	if name == "idle" {
		p.stats = &StatsReport{URL: full.StatsURL}
		p.sampleServer(ctx, "before", &p.mem.ServerBefore, &p.stats.Before)
	}
	if err := p.start(command); err != nil {
		return nil, err
	}
	p.loop(ctx)
	return p.finish()
}

// checkProcs checks that n processes fit: each part within one process's
// open files, the whole within the ephemeral ports.
func checkProcs(c Config, n int) error {
	first, err := c.Shard(0, n) // the largest part
	if err != nil {
		return err
	}
	nofile, err := RaiseNoFileLimit()
	if err != nil {
		return fmt.Errorf("bench: raising RLIMIT_NOFILE: %w", err)
	}
	if err := checkFiles(first, nofile); err != nil {
		return err
	}
	return checkPorts(c, ephemeralPorts())
}

// parent is the state of RunProcs. Owned by its goroutine; the readers
// only send on events.
type parent struct {
	name    string
	cfg     Config
	n       int
	started time.Time
	kids    []*kid
	events  chan kidEvent

	released int           // stages passed
	mem      *MemoryReport // server memory, sampled here
	stats    *StatsReport
	load     [2]procSample // echo, chat: server at the start and end of the measurement
	notes    []string
}

// kid is one child process.
type kid struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	tick   Counters
	stages []childMsg // stage messages in order
	report *Report
	err    string
	done   bool
}

// kidEvent is a line from child k, or its end.
type kidEvent struct {
	k   int
	msg *childMsg // nil for the end and for a line that is not a message
	err error
	end bool
}

// start starts every child and a reader for each.
func (p *parent) start(command func(k int) *exec.Cmd) error {
	p.events = make(chan kidEvent, 16*p.n)
	for k := range p.n {
		cmd := command(k)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			p.killAll()
			return err
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			p.killAll()
			return err
		}
		if err := cmd.Start(); err != nil {
			p.killAll()
			return fmt.Errorf("%w: starting child %d: %v", ErrChild, k, err)
		}
		p.kids = append(p.kids, &kid{cmd: cmd, stdin: stdin})
		go readChild(k, stdout, p.events)
	}
	return nil
}

// readChild passes child k's lines as events, then its end.
func readChild(k int, r io.Reader, events chan<- kidEvent) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxChildLine)
	for sc.Scan() {
		var m childMsg
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			events <- kidEvent{k: k, err: fmt.Errorf("%w: child %d wrote %.80q", ErrChild, k, sc.Text())}
			continue
		}
		events <- kidEvent{k: k, msg: &m}
	}
	events <- kidEvent{k: k, err: sc.Err(), end: true}
}

func (p *parent) killAll() {
	for _, kd := range p.kids {
		if !kd.done {
			_ = kd.cmd.Process.Kill()
		}
	}
}

// loop handles events until every child has ended.
func (p *parent) loop(ctx context.Context) {
	tk := time.NewTicker(time.Second)
	defer tk.Stop()
	var last Counters
	var kill <-chan time.Time
	ctxDone := ctx.Done()
	for running := p.n; running > 0; {
		select {
		case ev := <-p.events:
			if p.handle(ev) {
				running--
			}
			p.maybeRelease(ctx)
		case <-tk.C:
			now := p.counters()
			if p.cfg.Progress != nil {
				_, _ = io.WriteString(p.cfg.Progress, ProgressLine(p.name, time.Since(p.started), now, last))
			}
			last = now
		case <-ctxDone:
			ctxDone = nil
			for _, kd := range p.kids {
				if !kd.done {
					_ = kd.cmd.Process.Signal(os.Interrupt)
				}
			}
			kill = time.After(childGrace)
		case <-kill:
			p.notes = append(p.notes, "children killed: they did not end after the interrupt")
			p.killAll()
		}
	}
}

// handle applies one event; true when it is the end of a child.
func (p *parent) handle(ev kidEvent) bool {
	kd := p.kids[ev.k]
	if ev.err != nil && kd.err == "" {
		kd.err = ev.err.Error()
	}
	switch {
	case ev.end:
		kd.done = true
		_ = kd.stdin.Close()
		return true
	case ev.msg == nil:
	case ev.msg.Tick != nil:
		kd.tick = *ev.msg.Tick
	case ev.msg.Stage != "":
		kd.stages = append(kd.stages, *ev.msg)
		if ev.msg.At != nil {
			kd.tick = *ev.msg.At
		}
	case ev.msg.Report != nil:
		kd.report = ev.msg.Report
	case ev.msg.Error != "":
		kd.err = ev.msg.Error
	}
	return false
}

// maybeRelease lets the children past the next stage once every running
// child has reached it, sampling the server first.
func (p *parent) maybeRelease(ctx context.Context) {
	for {
		stage, live, waiting := "", int64(0), 0
		for _, kd := range p.kids {
			if kd.done {
				continue
			}
			if len(kd.stages) <= p.released {
				return
			}
			m := kd.stages[p.released]
			stage, waiting = m.Stage, waiting+1
			if m.At != nil {
				live += m.At.Live
			}
		}
		if waiting == 0 {
			return
		}
		p.onStage(ctx, stage, live)
		p.released++
		for _, kd := range p.kids {
			if !kd.done {
				_, _ = io.WriteString(kd.stdin, childRelease+"\n")
			}
		}
	}
}

// onStage samples what the parent measures for the run at a stage.
func (p *parent) onStage(ctx context.Context, stage string, live int64) {
	if len(p.cfg.ServerPIDs) > 0 {
		now := time.Now().UnixNano()
		switch {
		case stage == StageConnected:
			p.load[0] = sampleProcs(p.cfg.ServerPIDs, now)
		case stage == StageHeld && p.name == "echo", stage == StageDrained && (p.name == "chat" || p.name == "room"):
			p.load[1] = sampleProcs(p.cfg.ServerPIDs, now)
		}
	}
	if p.stats == nil { // only idle samples memory
		return
	}
	switch stage {
	case StageConnected:
		var after json.RawMessage
		p.sampleServer(ctx, "after connect", &p.mem.ServerAfter, &after)
		p.stats.After = after
		if len(p.stats.Before) > 0 && len(after) > 0 && p.stats.Error == "" {
			p.stats.Deltas = statDeltas(p.stats.Before, after, live)
		}
		if live > 0 && p.mem.ServerAfter > 0 {
			p.mem.ServerPerConn = float64(p.mem.ServerAfter-p.mem.ServerBefore) / float64(live)
		}
	case StageHeld:
		p.sampleServer(ctx, "end", &p.mem.ServerEnd, nil)
	}
}

// sampleServer reads the server's RSS into *rss and, when stats is not
// nil, the stats endpoint into *stats.
func (p *parent) sampleServer(ctx context.Context, stage string, rss *int64, stats *json.RawMessage) {
	if len(p.cfg.ServerPIDs) > 0 {
		v, err := sumRSS(p.cfg.ServerPIDs)
		if err != nil {
			p.notes = append(p.notes, fmt.Sprintf("%s: %v", stage, err))
		}
		*rss = v
	}
	if stats != nil && p.cfg.StatsURL != "" {
		fetchInto(ctx, p.stats, stats)
	}
}

// counters adds up the children's latest counters.
func (p *parent) counters() Counters {
	var c Counters
	for _, kd := range p.kids {
		c = c.Add(kd.tick)
	}
	return c
}

// finish waits for the processes and merges their reports.
func (p *parent) finish() (*Report, error) {
	var reps []*Report
	var failed []string
	for k, kd := range p.kids {
		werr := kd.cmd.Wait()
		switch {
		case kd.report != nil:
			reps = append(reps, kd.report)
		case kd.err != "":
			failed = append(failed, fmt.Sprintf("child %d: %s", k, kd.err))
		case werr != nil:
			failed = append(failed, fmt.Sprintf("child %d: %v", k, werr))
		default:
			failed = append(failed, fmt.Sprintf("child %d: no report", k))
		}
	}
	if len(reps) == 0 {
		return nil, fmt.Errorf("%w: %v", ErrChild, failed)
	}
	rep, err := Merge(reps)
	if err != nil {
		return nil, err
	}
	rep.Procs = p.n
	rep.Server = nil
	if p.load[0].at != 0 && p.load[1].at != 0 {
		switch {
		case rep.Echo != nil:
			rep.Server = serverLoad(p.load[0], p.load[1], rep.Echo.Messages)
		case rep.Chat != nil:
			rep.Server = serverLoad(p.load[0], p.load[1], rep.Chat.Delivered)
		case rep.Room != nil:
			rep.Server = serverLoad(p.load[0], p.load[1], rep.Room.Delivered)
		}
	}
	rep.Notes = append(rep.Notes, p.notes...)
	rep.Notes = append(rep.Notes, failed...)
	if p.stats != nil {
		p.mem.ClientBefore, p.mem.ClientAfter, p.mem.ClientPerConn = 0, 0, 0
		if rep.Memory != nil {
			p.mem.ClientBefore, p.mem.ClientAfter, p.mem.ClientPerConn =
				rep.Memory.ClientBefore, rep.Memory.ClientAfter, rep.Memory.ClientPerConn
		}
		rep.Memory = p.mem
		if p.cfg.StatsURL != "" {
			rep.Stats = p.stats
		} else {
			rep.Stats = nil
		}
	}
	return rep, nil
}
