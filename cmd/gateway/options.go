package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// options holds every flag of the gateway command.
type options struct {
	addr, httpAddr             string
	jwtSecret, jwtSecretFile   string
	users, dataDir             string
	demo                       bool
	loops, shards, maxConns    int
	maxMessageSize, writeQueue int
	handshakeTimeout           time.Duration
	loginTimeout, idleTimeout  time.Duration
	pingInterval               time.Duration
	logLevel, logFormat        string
	check                      bool
	wsPath                     string         // -ws-path: the only path that upgrades; empty: any
	rejectBadToken             bool           // -reject-bad-token: HTTP 401 at the upgrade
	prod                       prodOptions    // production flags: see prod.go
	cluster                    clusterOptions // -nats-url and friends: see cluster.go
	tls                        tlsOptions     // -tls-addr and friends: see tls.go
	store                      storeOptions   // -refresh-store: see store.go
	inbox                      inboxOptions   // -inbox-store and friends: see inbox.go
	mem                        memoryOptions  // -memory-limit: see memlimit.go
	rooms                      roomsOptions   // -rooms-open and friends: see rooms.go

	// Token lifecycle (tokens.go).
	accessTTL, refreshTTL time.Duration
	jwtLeeway             time.Duration
	jwtKeys, adminKey     string
	loginPolicy           string
	maxSessionsPerUser    int

	compression compressionOptions // -compression: see compression.go
}

// flagSet binds the flags onto o. The usage text reads like a man page.
func (o *options) flagSet(w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	fs.SetOutput(w)
	fs.StringVar(&o.addr, "addr", ":8080", "WebSocket listen address (host:port); empty disables plain ws:// (with -tls-addr)")
	fs.StringVar(&o.httpAddr, "http-addr", ":8081", "HTTP API and health listen address; empty disables it")
	fs.StringVar(&o.jwtSecret, "jwt-secret", "", "HS256 secret, at least 32 bytes (env GATEWAY_JWT_SECRET); prefer -jwt-secret-file")
	fs.StringVar(&o.jwtSecretFile, "jwt-secret-file", "", "file holding the HS256 secret (mode 0600)")
	fs.StringVar(&o.users, "users", "", "htpasswd file of bcrypt entries (create lines with `gateway passwd USER`)")
	fs.BoolVar(&o.demo, "demo", false, "add the demo accounts user123/password123, alice/alice123, bob/bob123")
	fs.StringVar(&o.dataDir, "data-dir", "./data", "directory for state: the refresh-token store (refresh-tokens.db), and the JWT secret when none is given; empty keeps refresh tokens in memory only")
	fs.IntVar(&o.loops, "loops", 0, "event loops; 0 means GOMAXPROCS")
	fs.IntVar(&o.shards, "shards", 64, "connection table shards, a power of two")
	fs.IntVar(&o.maxConns, "max-conns", 0, "open connections before new ones get 503; 0 means the open-files limit minus a reserve")
	fs.IntVar(&o.maxMessageSize, "max-message-size", 64<<10, "largest client message in bytes; larger gets 413 and close 1009")
	fs.IntVar(&o.writeQueue, "write-queue-bytes", 1<<20, "unsent bytes per connection before it is closed 4008 (slow consumer)")
	fs.DurationVar(&o.handshakeTimeout, "handshake-timeout", 5*time.Second, "time allowed for the HTTP upgrade request to arrive")
	fs.DurationVar(&o.loginTimeout, "login-timeout", 10*time.Second, "time an unauthenticated connection has to log in before close 4001")
	fs.DurationVar(&o.idleTimeout, "idle-timeout", 90*time.Second, "close (1001) connections with no inbound frame for this long")
	fs.DurationVar(&o.pingInterval, "ping-interval", 25*time.Second, "interval of server WebSocket pings")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	fs.BoolVar(&o.check, "check", false, "check the configuration and exit")
	fs.StringVar(&o.wsPath, "ws-path", "", "the only request path that upgrades (\"/ws\", behind a proxy that serves HTTP beside it); other paths get HTTP 404; empty accepts any path")
	fs.BoolVar(&o.rejectBadToken, "reject-bad-token", false, "refuse an upgrade whose token is invalid, expired or revoked with HTTP 401 and WWW-Authenticate: Bearer error=\"invalid_token\", instead of upgrading and sending the in-band 401 first frame")
	o.prod.bind(fs)
	o.tokenFlags(fs)
	o.cluster.bind(fs)
	o.tls.bind(fs)
	o.storeFlags(fs)
	o.inbox.bind(fs)
	o.mem.bind(fs)
	o.compression.bind(fs)
	o.rooms.bind(fs)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage:
  gateway [flags]                          run the WebSocket gateway
  gateway token -sub USER [-ttl 1h] [-did DEVICE]
                                           print an access token signed with the gateway's secret
  gateway passwd USER                      read a password on stdin, print an htpasswd bcrypt line
  gateway devcert [-dir DIR] [-hosts H,...] write a development CA and a certificate it signed

Clients connect to ws://HOST:PORT/?token=JWT&device_id=ID&platform=NAME (wss:// on
-tls-addr), or without a token and log in with cmd 1001 (see PROTOCOL.md). Flags:
`)
		fs.PrintDefaults()
	}
	return fs
}

// parse reads args, then fills what flags left empty from the environment.
func (o *options) parse(args []string, w io.Writer) error {
	if err := o.flagSet(w).Parse(args); err != nil {
		return err
	}
	if o.jwtSecret == "" {
		o.jwtSecret = os.Getenv("GATEWAY_JWT_SECRET")
	}
	if o.adminKey == "" {
		o.adminKey = os.Getenv("GATEWAY_ADMIN_KEY")
	}
	o.cluster.fromEnv()
	if o.shards <= 0 || o.shards&(o.shards-1) != 0 {
		return fmt.Errorf("-shards must be a power of two, got %d", o.shards)
	}
	if err := o.tls.check(o.addr); err != nil {
		return err
	}
	if o.logFormat != "text" && o.logFormat != "json" {
		return fmt.Errorf("-log-format must be text or json, got %q", o.logFormat)
	}
	if err := o.prod.check(); err != nil {
		return err
	}
	if err := o.mem.check(); err != nil {
		return err
	}
	if o.wsPath != "" && (o.wsPath[0] != '/' || strings.ContainsAny(o.wsPath, "?# ")) {
		return fmt.Errorf("-ws-path must be a path starting with /, got %q", o.wsPath)
	}
	return o.checkTokenFlags()
}
