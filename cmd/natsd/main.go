// Command natsd is a NATS server built from the nats-server module, for
// trying cluster mode and for `make cluster-demo` on a machine without a
// NATS installation. Production runs the real nats-server (or a NATS
// cluster); this binary adds nothing to it.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

func main() {
	fs := flag.NewFlagSet("natsd", flag.ContinueOnError)
	host := fs.String("host", "127.0.0.1", "listen host")
	port := fs.Int("port", 4222, "listen port")
	monitor := fs.Int("http-port", 0, "monitoring port (0: off)")
	maxPayload := fs.Int("max-payload", 1<<20, "largest message in bytes")
	debug := fs.Bool("debug", false, "log protocol debug lines")
	js := fs.Bool("jetstream", false, "enable JetStream (key-value stores), stored under -store-dir")
	storeDir := fs.String("store-dir", "", "JetStream storage directory (default: a temporary directory)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	opts := &server.Options{Host: *host, Port: *port, HTTPPort: *monitor, MaxPayload: int32(*maxPayload),
		Debug: *debug, NoSigs: true, JetStream: *js, StoreDir: *storeDir}
	srv, err := server.NewServer(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "natsd:", err)
		os.Exit(1)
	}
	srv.ConfigureLogger()
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		fmt.Fprintln(os.Stderr, "natsd: not ready after 10s")
		os.Exit(1)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	srv.Shutdown()
	srv.WaitForShutdown()
}
