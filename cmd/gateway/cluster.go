package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/imgate/gateway/cluster"
	"github.com/imgate/gateway/gateway"
)

// clusterOptions are the flags of cluster mode (-nats-url set).
type clusterOptions struct {
	natsURL, nodeID, creds string
	tlsCA, tlsCert, tlsKey string
	tlsOn                  bool
	backendTimeout         time.Duration
}

// storeFlags: -refresh-store and the bucket's flags (store.go).
func (o *options) storeFlags(fs *flag.FlagSet) { o.store.bind(fs) }

func (c *clusterOptions) bind(fs *flag.FlagSet) {
	fs.StringVar(&c.natsURL, "nats-url", "", "comma-separated NATS server URLs (env GATEWAY_NATS_URL); empty: a single node with in-process routing")
	fs.StringVar(&c.nodeID, "node-id", "", "this node's name in the cluster, [A-Za-z0-9_.-]; default a generated unique id")
	fs.StringVar(&c.creds, "nats-creds", "", "NATS credentials file (user JWT and NKey seed)")
	fs.BoolVar(&c.tlsOn, "nats-tls", false, "require TLS to NATS (implied by tls:// URLs and the -nats-tls-* files)")
	fs.StringVar(&c.tlsCA, "nats-tls-ca", "", "PEM file of the CAs that sign the NATS servers' certificates")
	fs.StringVar(&c.tlsCert, "nats-tls-cert", "", "PEM client certificate for NATS (with -nats-tls-key)")
	fs.StringVar(&c.tlsKey, "nats-tls-key", "", "PEM private key of -nats-tls-cert")
	fs.DurationVar(&c.backendTimeout, "backend-timeout", cluster.DefaultRequestTimeout,
		"how long a command with cmd_id >= 10000 waits for its backend's reply before 503")
}

// fromEnv fills what the flags left empty from the environment.
func (c *clusterOptions) fromEnv() {
	if c.natsURL == "" {
		c.natsURL = os.Getenv("GATEWAY_NATS_URL")
	}
}

// tlsConfig builds the TLS configuration for NATS, nil when none is asked.
func (c *clusterOptions) tlsConfig() (*tls.Config, error) {
	if !c.tlsOn && c.tlsCA == "" && c.tlsCert == "" && c.tlsKey == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.tlsCA != "" {
		pem, err := os.ReadFile(c.tlsCA)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("-nats-tls-ca %s: no PEM certificate", c.tlsCA)
		}
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return nil, errors.New("-nats-tls-cert and -nats-tls-key go together")
	}
	if c.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(c.tlsCert, c.tlsKey)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// newBus returns the cluster bus, or nil without -nats-url. It does not
// connect yet.
func newBus(c *clusterOptions, log *slog.Logger) (*cluster.Bus, error) {
	if c.natsURL == "" {
		return nil, nil
	}
	tlsCfg, err := c.tlsConfig()
	if err != nil {
		return nil, err
	}
	return cluster.New(cluster.Config{URLs: cluster.ParseURLs(c.natsURL), NodeID: c.nodeID, CredsFile: c.creds,
		TLS: tlsCfg, RequestTimeout: c.backendTimeout, Logger: log})
}

// presenceHook is the hub's OnPresence: the bus's Interest, or nil.
func presenceHook(bus *cluster.Bus) func(string, bool) {
	if bus == nil {
		return nil
	}
	return bus.Interest
}

// asCluster avoids handing the gateway a typed nil.
func asCluster(bus *cluster.Bus) gateway.Cluster {
	if bus == nil {
		return nil
	}
	return bus
}

// busRelay hands what the bus brings to the gateway once it exists: the
// bus starts before the gateway, because the NATS refresh-token store
// needs its connection. Messages before that find no sessions anyway.
type busRelay struct {
	gw atomic.Pointer[gateway.Gateway]
}

func (r *busRelay) push(user string, payload []byte) {
	if g := r.gw.Load(); g != nil {
		g.PushRemote(user, payload)
	}
}

func (r *busRelay) control(user, kind, origin string, data []byte) {
	if g := r.gw.Load(); g != nil {
		g.Control(user, kind, origin, data)
	}
}

func (r *busRelay) room(room string, payload []byte) {
	if g := r.gw.Load(); g != nil {
		g.PushRoom(room, payload)
	}
}

func (r *busRelay) broadcast(payload []byte) {
	if g := r.gw.Load(); g != nil {
		g.PushBroadcast(payload)
	}
}

// startBus connects the bus (nil: nothing to do); what it brings goes to
// the gateway set in relay.
func startBus(bus *cluster.Bus, relay *busRelay, log *slog.Logger) error {
	if bus == nil {
		return nil
	}
	if err := bus.Start(cluster.Handlers{Push: relay.push, Control: relay.control,
		Room: relay.room, Broadcast: relay.broadcast}); err != nil {
		return err
	}
	log.Info("cluster mode", "node", bus.NodeID(), "nats_ready", bus.Ready())
	return nil
}
