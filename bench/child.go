package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"sync"
)

// childMsg is one line a child process writes to its parent: exactly one
// field is set.
type childMsg struct {
	Tick   *Counters `json:"tick,omitempty"`   // once a second
	Stage  string    `json:"stage,omitempty"`  // reached a stage; waits for "go"
	At     *Counters `json:"at,omitempty"`     // counters when Stage was reached
	Report *Report   `json:"report,omitempty"` // the last line of a run
	Error  string    `json:"error,omitempty"`  // the run could not start
}

// childRelease is the line a parent writes to let children past a stage.
const childRelease = "go"

// lineWriter writes JSON lines; safe for concurrent use.
type lineWriter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (w *lineWriter) send(m childMsg) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.enc.Encode(m)
}

// RunChild runs one process's part of a run spread over several processes
// (see RunProcs): cfg is already this process's Shard. It writes the
// running counters once a second, each stage reached and finally the
// report (histograms included) as JSON lines to out, and waits at each
// stage for a "go" line on in. When in ends (the parent is gone) the run
// is interrupted. The error is the scenario's, also sent to out.
func RunChild(ctx context.Context, run Scenario, cfg Config, in io.Reader, out io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := &lineWriter{enc: json.NewEncoder(out)}
	release := make(chan struct{}, 8)
	go func() {
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			if sc.Text() == childRelease {
				select {
				case release <- struct{}{}:
				default:
				}
			}
		}
		cancel()
	}()
	cfg.Progress = nil
	cfg.Tick = func(c Counters) { _ = w.send(childMsg{Tick: &c}) }
	cfg.Sync = func(ctx context.Context, stage string, at Counters) error {
		if err := w.send(childMsg{Stage: stage, At: &at}); err != nil {
			return err
		}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	rep, err := run(ctx, cfg)
	if err != nil {
		_ = w.send(childMsg{Error: err.Error()})
		return err
	}
	return w.send(childMsg{Report: rep})
}
