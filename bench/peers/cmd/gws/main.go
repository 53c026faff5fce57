// Command gws is an echo server on lxzan/gws: its own server (net/http
// handshake, then a read loop per connection with its event handler).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/lxzan/gws"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9003", "listen address")
	parallel := flag.Bool("parallel", false, "gws ParallelEnabled: handle a connection's messages on several goroutines")
	flag.Parse()
	srv := gws.NewServer(handler{}, &gws.ServerOption{
		ParallelEnabled:    *parallel,
		ReadMaxPayloadSize: 16 << 20,
		Recovery:           gws.Recovery,
	})
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		os.Exit(0)
	}()
	fmt.Fprintln(os.Stderr, "gws echo listening on", *addr)
	if err := srv.Run(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "gws:", err)
		os.Exit(1)
	}
}

// handler writes every message back; the rest is gws's built-in handler
// (it answers pings).
type handler struct{ gws.BuiltinEventHandler }

func (handler) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close()
	_ = c.WriteMessage(m.Opcode, m.Bytes())
}
