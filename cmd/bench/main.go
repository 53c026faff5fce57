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

// scenarios maps a subcommand to its run function.
var scenarios = map[string]func(context.Context, bench.Config) (*bench.Report, error){
	"connect": bench.Connect,
	"idle":    bench.Idle,
	"echo":    bench.Echo,
	"chat":    bench.Chat,
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the exit, for reading: bind flags, validate, run,
// print. It returns the process exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		_, _ = io.WriteString(stderr, usage)
		return 2
	}
	name := args[0]
	scenario, ok := scenarios[name]
	if !ok {
		fmt.Fprintf(stderr, "bench: unknown scenario %q (want connect, idle, echo or chat)\n", name)
		return 2
	}
	fs := flag.NewFlagSet("bench "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { _, _ = io.WriteString(stderr, usage) }
	opts := bindFlags(fs, name)
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	cfg, err := opts.config(stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if opts.check {
		resolved, err := cfg.Resolve()
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		fmt.Fprint(stdout, describe(name, resolved))
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := scenario(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, err)
		if errors.Is(err, bench.ErrTooManyConns) || errors.Is(err, bench.ErrPorts) {
			return 2
		}
		return 1
	}
	if err := rep.WriteTable(stdout); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if opts.jsonFile != "" {
		if err := writeJSON(opts.jsonFile, rep); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	}
	if rep.Connected == 0 {
		return 1
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
