package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"

	"github.com/imgate/gateway/bench"
)

// childFlag is the hidden flag that makes bench a child of a -procs run.
const childFlag = "-child"

// childCommand returns the command of child k: this executable with the
// same arguments and -child k/n (a later flag wins, so it overrides any
// earlier one); its stderr is ours.
func childCommand(args []string, n int, stderr io.Writer) func(k int) *exec.Cmd {
	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	if _, isFile := stderr.(*os.File); !isFile {
		stderr = &lockedWriter{w: stderr} // exec copies each child's stderr on its own goroutine
	}
	return func(k int) *exec.Cmd {
		a := append(append([]string(nil), args...), childFlag, fmt.Sprintf("%d/%d", k, n))
		cmd := exec.Command(self, a...)
		cmd.Stderr = stderr
		return cmd
	}
}

// lockedWriter serializes writes to w. Safe for concurrent use.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// parseChild reads "k/n".
func parseChild(s string) (k, n int, err error) {
	ks, ns, ok := strings.Cut(s, "/")
	k, err1 := strconv.Atoi(ks)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil || n < 1 || k < 0 || k >= n {
		return 0, 0, fmt.Errorf("bench: bad -child %q (want k/n with 0 ≤ k < n)", s)
	}
	return k, n, nil
}

// runChild runs this process's share of a -procs run, speaking the
// parent-child protocol on stdin and stdout.
func runChild(ctx context.Context, spec string, scenario bench.Scenario, cfg bench.Config,
	stdin io.Reader, stdout, stderr io.Writer) int {
	k, n, err := parseChild(spec)
	if err == nil {
		cfg, err = cfg.Shard(k, n)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if err := bench.RunChild(ctx, scenario, cfg, stdin, stdout); err != nil {
		return 1
	}
	return 0
}

// runMerge is `bench merge FILE... [-json OUT]`.
func runMerge(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jsonFile := fs.String("json", "", "write the merged report as JSON to FILE")
	var files []string
	for len(args) > 0 { // files and flags in any order
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "bench merge: no report files")
		return 2
	}
	var reps []*bench.Report
	for _, f := range files {
		rep, err := readReport(f)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		reps = append(reps, rep)
	}
	rep, err := bench.Merge(reps)
	if err != nil {
		fmt.Fprintln(stderr, err)
		if errors.Is(err, bench.ErrMerge) {
			return 2
		}
		return 1
	}
	return output(rep, *jsonFile, stdout, stderr)
}

func readReport(path string) (*bench.Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rep bench.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("bench merge: %s: %w", path, err)
	}
	return &rep, nil
}
