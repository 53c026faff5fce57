// Command nbio is an echo server on lesismal/nbio: its non-blocking HTTP
// engine (epoll, a few poller goroutines for all connections) with its
// websocket upgrader.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/lesismal/nbio/nbhttp"
	"github.com/lesismal/nbio/nbhttp/websocket"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9004", "listen address")
	mod := flag.String("iomod", "nonblocking", "nbio IOMod: nonblocking, blocking or mixed")
	flag.Parse()
	iomod, ok := map[string]int{"nonblocking": nbhttp.IOModNonBlocking, "blocking": nbhttp.IOModBlocking,
		"mixed": nbhttp.IOModMixed}[*mod]
	if !ok {
		fmt.Fprintln(os.Stderr, "nbio: bad -iomod", *mod)
		os.Exit(2)
	}
	up := websocket.NewUpgrader()
	up.CheckOrigin = func(*http.Request) bool { return true }
	up.MessageLengthLimit = 16 << 20
	up.KeepaliveTime = 10 * time.Minute
	up.OnMessage(func(c *websocket.Conn, mt websocket.MessageType, p []byte) {
		_ = c.WriteMessage(mt, p)
	})
	eng := nbhttp.NewEngine(nbhttp.Config{
		Network:                 "tcp",
		Addrs:                   []string{*addr},
		NPoller:                 runtime.GOMAXPROCS(0),
		IOMod:                   iomod,
		ReleaseWebsocketPayload: true,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = up.Upgrade(w, r, nil)
		}),
	})
	if err := eng.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "nbio:", err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "nbio echo listening on", *addr)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = eng.Shutdown(ctx)
}
