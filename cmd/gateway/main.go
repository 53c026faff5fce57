// Command gateway runs the WebSocket gateway: it binds flags onto options,
// builds the auth manager, the connection hub, the gateway logic and the
// engine, serves until SIGINT/SIGTERM, and stops.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/engine/tlscert"
	"github.com/imgate/gateway/gateway"
	"github.com/imgate/gateway/hub"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "token":
			os.Exit(cmdToken(os.Args[2:]))
		case "passwd":
			os.Exit(cmdPasswd(os.Args[2:]))
		case "devcert":
			os.Exit(cmdDevcert(os.Args[2:]))
		}
	}
	os.Exit(run(os.Args[1:]))
}

// run is the gateway command; it returns the exit status.
func run(args []string) int {
	var o options
	if err := o.parse(args, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(os.Stderr, "gateway:", err)
		return 2
	}
	log := newLogger(&o)
	slog.SetDefault(log)
	app, err := build(&o, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	if o.check {
		fmt.Println("configuration ok")
		return 0
	}
	defer app.close()
	return app.serve(log)
}

// app is everything run builds.
type app struct {
	auth  *auth.Manager
	hub   *hub.Hub
	srv   *engine.Server
	http  *http.Server
	addr  string
	certs *tlscert.Store // nil without TLS
	watch time.Duration  // how often the certificate files are checked
}

func build(o *options, log *slog.Logger) (*app, error) {
	secret, err := loadSecret(o, log)
	if err != nil {
		return nil, err
	}
	users, err := loadUsers(o)
	if err != nil {
		return nil, err
	}
	am, err := auth.New(auth.Config{Secret: secret, Users: users})
	if err != nil {
		return nil, err
	}
	h, err := hub.New(hub.Config{Shards: o.shards})
	if err != nil {
		am.Close()
		return nil, err
	}
	tlsOpts, certs, err := o.tls.build(log)
	if err != nil {
		return nil, errors.Join(err, closeAll(am, h))
	}
	gw, err := gateway.New(gateway.Config{Auth: am, Hub: h, LoginTimeout: o.loginTimeout, Logger: log})
	if err != nil {
		return nil, errors.Join(err, closeAll(am, h))
	}
	srv, err := engine.New(gw, engine.WithOptions(engine.Options{
		Loops: o.loops, MaxConns: maxConns(o.maxConns, log), MaxMessageSize: o.maxMessageSize,
		WriteQueueBytes: o.writeQueue, HandshakeTimeout: o.handshakeTimeout, IdleTimeout: o.idleTimeout,
		PingInterval: o.pingInterval, TimerResolution: timerResolution(o), Logger: log, TLS: tlsOpts,
	}))
	if err != nil {
		return nil, errors.Join(err, closeAll(am, h))
	}
	a := &app{auth: am, hub: h, srv: srv, addr: o.addr, certs: certs, watch: o.tls.watch}
	if o.httpAddr != "" {
		a.http = &http.Server{Addr: o.httpAddr, Handler: gateway.NewAPI(gw, srv),
			ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, MaxHeaderBytes: 8 << 10}
	}
	return a, nil
}

// serve runs until a signal or a listener failure.
func (a *app) serve(log *slog.Logger) int {
	errc := make(chan error, 2)
	go func() { errc <- a.srv.Serve(a.addr) }()
	<-a.srv.Ready()
	if a.srv.Addr() != nil {
		log.Info("gateway listening", "ws", a.srv.Addr().String(), "loops", a.srv.Options().Loops,
			"max_conns", a.srv.Options().MaxConns)
	}
	if a.srv.TLSAddr() != nil {
		log.Info("gateway listening", "wss", a.srv.TLSAddr().String(),
			"handshake_concurrency", a.srv.Options().TLS.HandshakeConcurrency)
	}
	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	watchCert(watchCtx, a.certs, a.watch, log)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	if a.http != nil {
		go func() { errc <- a.http.ListenAndServe() }()
		log.Info("http api listening", "addr", a.http.Addr)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	status := 0
wait:
	for {
		select {
		case <-hup:
			reloadCert(a.certs, log)
		case s := <-sig:
			log.Info("stopping", "signal", s.String())
			break wait
		case err := <-errc:
			log.Error("listener failed", "err", err)
			status = 1
			break wait
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if a.http != nil {
		_ = a.http.Shutdown(ctx)
	}
	_ = a.srv.Stop(ctx)
	return status
}

func (a *app) close() { _ = closeAll(a.auth, a.hub) }

func closeAll(am *auth.Manager, h *hub.Hub) error {
	h.Close()
	am.Close()
	return nil
}

// timerResolution is fine enough for the shortest timeout.
func timerResolution(o *options) time.Duration {
	res := time.Second
	for _, d := range []time.Duration{o.handshakeTimeout, o.loginTimeout, o.idleTimeout, o.pingInterval} {
		if d > 0 && d/4 < res {
			res = d / 4
		}
	}
	return max(res, 10*time.Millisecond)
}

// maxConns is n, or the open-files limit minus a reserve for listeners,
// logs and the HTTP API: gnet's engine dies if accept ever fails on EMFILE.
func maxConns(n int, log *slog.Logger) int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return n
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	limit := int(lim.Cur) - 64
	if n <= 0 || n > limit {
		if n > limit {
			log.Warn("-max-conns above the open-files limit; lowered", "max_conns", limit)
		}
		return max(limit, 1)
	}
	return n
}
