// Command gateway runs the WebSocket gateway: it binds flags onto options,
// builds the auth manager, the connection hub, the gateway logic and the
// engine, serves until SIGINT/SIGTERM, and stops.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/cluster"
	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/engine/tlscert"
	"github.com/imgate/gateway/gateway"
	"github.com/imgate/gateway/hub"
	"github.com/imgate/gateway/inbox"
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
	if !o.check {
		o.mem.apply(log)
	}
	app, err := build(&o, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	if o.check {
		fmt.Println("configuration ok")
		return 0
	}
	o.mem.applyGC(log, socketCounts(app.srv.Stats()))
	defer app.close()
	return app.serve(log)
}

// app is everything run builds.
type app struct {
	auth       *auth.Manager
	bus        *cluster.Bus      // nil: single node
	registry   *cluster.Registry // nil: login policy per node
	hub        *hub.Hub
	gw         *gateway.Gateway
	srv        *engine.Server
	http       *http.Server
	addr       string
	opts       *options
	drain      gateway.DrainConfig
	fds        fdBudget
	store      auth.RefreshStore
	closeStore func() error
	inbox      inbox.Store    // nil: -inbox-store off
	certs      *tlscert.Store // nil without TLS
	watch      time.Duration  // how often the certificate files are checked
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
	keys, err := loadKeys(o)
	if err != nil {
		return nil, err
	}
	bus, err := newBus(&o.cluster, log)
	if err != nil {
		return nil, err
	}
	relay := &busRelay{}
	if !o.check {
		if err := startBus(bus, relay, log); err != nil {
			return nil, err
		}
	}
	built := false
	var registry *cluster.Registry
	defer func() {
		if registry != nil && !built {
			registry.Close()
		}
		if bus != nil && !built {
			bus.Close()
		}
	}()
	store, closeStore, err := openStore(o, log, bus)
	if err != nil {
		return nil, err
	}
	registry = openRegistry(o, log, bus)
	ibStore, err := openInbox(o, log, bus)
	if err != nil {
		return nil, errors.Join(err, closeStore())
	}
	closeStore = closeWithInbox(closeStore, ibStore)
	am, err := auth.New(auth.Config{Secret: secret, Keys: keys, Users: users, Store: store,
		AccessTTL: o.accessTTL, RefreshTTL: o.refreshTTL, Leeway: o.jwtLeeway})
	if err != nil {
		return nil, errors.Join(err, closeStore())
	}
	h, err := hub.New(hub.Config{Shards: o.shards, OnPresence: presenceHook(bus)})
	if err != nil {
		am.Close()
		return nil, errors.Join(err, closeStore())
	}
	tlsOpts, certs, err := o.tls.build(log)
	if err != nil {
		am.Close()
		return nil, errors.Join(err, closeStore())
	}
	roomsCfg, err := o.rooms.config(o.demo)
	if err != nil {
		return nil, errors.Join(err, closeAll(am, h), closeStore())
	}
	gw, err := gateway.New(gateway.Config{Auth: am, Hub: h, LoginTimeout: o.loginTimeout, Logger: log,
		MessageRate: o.prod.messageRate(), LoginPolicy: gateway.Policy(o.loginPolicy),
		MaxSessionsPerUser: o.maxSessionsPerUser, AdminKey: o.adminKey, Cluster: asCluster(bus),
		Registry: asRegistry(registry), RejectBadToken: o.rejectBadToken, Inbox: ibStore, InboxWorkers: o.inbox.workers,
		Rooms: roomsCfg})
	if err != nil {
		return nil, errors.Join(err, closeAll(am, h), closeStore())
	}
	fds := newFDBudget(cmp.Or(o.loops, runtime.GOMAXPROCS(0)))
	srv, err := engine.New(gw, engine.WithOptions(engine.Options{
		Loops: o.loops, MaxConns: fds.maxConns(o.maxConns, log), MaxMessageSize: o.maxMessageSize,
		WriteQueueBytes: o.writeQueue, HandshakeTimeout: o.handshakeTimeout, IdleTimeout: o.idleTimeout,
		PingInterval: o.pingInterval, TimerResolution: timerResolution(o), Logger: log,
		ReusePort: o.prod.reusePort, Admission: o.prod.admission(fds, o.wsPath), TLS: tlsOpts,
		Compression: o.compression.on, CompressionMinSize: o.compression.minSize,
	}))
	if err != nil {
		return nil, errors.Join(err, closeAll(am, h), closeStore())
	}
	relay.gw.Store(gw)
	built = true
	a := &app{auth: am, bus: bus, registry: registry, hub: h, gw: gw, srv: srv, addr: o.addr, opts: o,
		drain: o.prod.drainConfig(), fds: fds, store: store, closeStore: closeStore, inbox: ibStore, certs: certs, watch: o.tls.watch}
	if o.httpAddr != "" {
		a.http = &http.Server{Addr: o.httpAddr, Handler: opsHandler(withDemo(gateway.NewAPI(gw, srv), srv, o.demo), o.prod.pprofOn),
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
	if a.http != nil {
		ln, err := net.Listen("tcp", a.http.Addr)
		if err != nil {
			log.Error("http api cannot listen", "err", err)
			return 1
		}
		go func() { errc <- a.http.Serve(newLimitListener(ln, a.fds.http)) }()
		log.Info("http api listening", "addr", ln.Addr().String())
	}
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	status := 0
wait:
	for {
		select {
		case s := <-sig:
			if s == syscall.SIGHUP {
				a.reload(log)
				continue
			}
			log.Info("stopping", "signal", s.String())
			a.drainUntil(sig, log)
		case err := <-errc:
			log.Error("listener failed", "err", err)
			status = 1
		}
		break wait
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if a.http != nil {
		_ = a.http.Shutdown(ctx)
	}
	_ = a.srv.Stop(ctx)
	return status
}

// close stops the auth workers before the bus, whose connection the NATS
// refresh-token store uses.
func (a *app) close() {
	a.gw.CloseInbox()
	err := closeAll(a.auth, a.hub)
	if a.registry != nil {
		a.registry.Close()
	}
	if a.bus != nil {
		a.bus.Close()
	}
	_ = errors.Join(err, a.closeStore())
}

// reload rereads what SIGHUP rereads: the -jwt-keys file and the TLS
// certificate.
func (a *app) reload(log *slog.Logger) {
	a.reloadKeys(log)
	reloadCert(a.certs, log)
}

// drainUntil drains the sessions (see gateway.Drain); a second signal cuts
// it short.
func (a *app) drainUntil(sig <-chan os.Signal, log *slog.Logger) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for {
			select {
			case s := <-sig:
				if s == syscall.SIGHUP {
					a.reload(log)
					continue
				}
				cancel()
			case <-ctx.Done():
			}
			return
		}
	}()
	a.gw.Drain(ctx, a.srv, a.drain)
}

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
