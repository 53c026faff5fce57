// Command bench is the gateway's load generator: it opens many WebSocket
// connections to a gateway (or any RFC 6455 echo server) and reports
// latencies, throughput and memory. See usage below or run bench -h.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/imgate/gateway/bench"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the exit, for reading: bind flags, validate, run,
// print. It returns the process exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		_, _ = io.WriteString(stderr, usage)
		return 2
	}
	name := args[0]
	if name == "merge" {
		return runMerge(args[1:], stdout, stderr)
	}
	scenario, ok := bench.Lookup(name)
	if !ok {
		fmt.Fprintf(stderr, "bench: unknown scenario %q (want connect, idle, echo, chat, room or merge)\n", name)
		return 2
	}
	fs := flag.NewFlagSet("bench "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { _, _ = io.WriteString(stderr, usage) }
	opts := bindFlags(fs, name)
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "bench: unexpected argument %q (flags only)\n", fs.Arg(0))
		return 2
	}
	cfg, err := opts.config(stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch {
	case opts.child != "":
		return runChild(ctx, opts.child, scenario, cfg, stdin, stdout, stderr)
	case opts.check:
		return check(name, cfg, opts.procs, stdout, stderr)
	}
	var rep *bench.Report
	if opts.procs > 1 {
		rep, err = bench.RunProcs(ctx, name, cfg, opts.procs, childCommand(args, opts.procs, stderr))
	} else {
		rep, err = scenario(ctx, cfg)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		if errors.Is(err, bench.ErrTooManyConns) || errors.Is(err, bench.ErrPorts) || errors.Is(err, bench.ErrBadConfig) {
			return 2
		}
		return 1
	}
	if code := output(rep, opts.jsonFile, stdout, stderr); code != 0 {
		return code
	}
	if rep.Connected == 0 {
		return 1
	}
	return 0
}

// check prints the resolved configuration for -check.
func check(name string, cfg bench.Config, procs int, stdout, stderr io.Writer) int {
	resolved := cfg
	var err error
	if procs > 1 {
		resolved, err = cfg.Shard(0, procs)
	}
	if err == nil {
		resolved, err = resolved.Resolve()
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if procs > 1 {
		resolved.Conns, resolved.FirstUser, resolved.Rate = cfg.Conns, cfg.FirstUser, cfg.Rate
		if resolved.Rate == 0 && cfg.Ramp > 0 {
			resolved.Rate = float64(cfg.Conns) / cfg.Ramp.Seconds()
		}
	}
	fmt.Fprint(stdout, describe(name, resolved, procs))
	return 0
}

// output prints the table and writes the JSON report.
func output(rep *bench.Report, jsonFile string, stdout, stderr io.Writer) int {
	if err := rep.WriteTable(stdout); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if jsonFile != "" {
		if err := writeJSON(jsonFile, rep); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	}
	return 0
}

func writeJSON(path string, rep *bench.Report) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := rep.WriteJSON(f); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
