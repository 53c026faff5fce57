// Command echo is an RFC 6455 echo server built on the engine alone: every
// text or binary message comes back unchanged. It is the target of the
// conformance suite and of the peer benchmarks.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/engine/wsframe"
)

func main() {
	var o engine.Options
	addr := flag.String("addr", ":9001", "listen address (host:port)")
	flag.IntVar(&o.Loops, "loops", 0, "event loops (0: GOMAXPROCS)")
	flag.BoolVar(&o.ReusePort, "reuseport", false, "set SO_REUSEPORT so several processes share -addr")
	flag.IntVar(&o.MaxMessageSize, "max-message-size", 16<<20, "largest message in bytes (larger: close 1009)")
	flag.IntVar(&o.WriteQueueBytes, "write-queue-bytes", 64<<20, "unsent bytes per connection before close 4008")
	flag.DurationVar(&o.IdleTimeout, "idle-timeout", 90*time.Second, "close connections silent this long")
	flag.BoolVar(&o.Compression, "compression", false, "negotiate permessage-deflate (no context takeover) with clients that offer it")
	flag.IntVar(&o.CompressionMinSize, "compression-min-size", 128, "smallest echo payload in bytes sent compressed")
	flag.Parse()

	srv, err := engine.New(echo{}, engine.WithOptions(o))
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(2)
	}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
		<-sig
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Stop(ctx)
	}()
	go func() {
		<-srv.Ready()
		slog.Info("echo server listening", "addr", srv.Addr())
	}()
	if err := srv.Serve(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
}

// echo writes every message back as it came (compressed, when the
// connection negotiated permessage-deflate and the message is large enough).
type echo struct{}

func (echo) OnOpen(*engine.Conn, *engine.Request) {}
func (echo) OnClose(*engine.Conn, uint16)         {}

func (echo) OnMessage(c *engine.Conn, op engine.OpCode, p []byte) {
	frame := engine.AppendFrame(make([]byte, 0, len(p)+engine.HeaderRoom), op, p)
	if c.Compressed() {
		c.WriteFrame(wsframe.New(frame))
		return
	}
	c.Write(frame)
}
