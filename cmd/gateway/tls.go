package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/engine/tlscert"
)

// tlsOptions are the flags of the wss:// listener.
type tlsOptions struct {
	addr, cert, key string
	selfSigned      bool
	minVersion      string
	concurrency     int
	watch           time.Duration
}

// bind adds the TLS flags to fs.
func (t *tlsOptions) bind(fs *flag.FlagSet) {
	fs.StringVar(&t.addr, "tls-addr", "", "wss:// listen address (host:port) on the same event loops; empty disables TLS")
	fs.StringVar(&t.cert, "tls-cert", "", "PEM certificate chain for -tls-addr (reloaded on SIGHUP and when the file changes)")
	fs.StringVar(&t.key, "tls-key", "", "PEM private key for -tls-cert")
	fs.BoolVar(&t.selfSigned, "tls-self-signed", false, "serve an in-memory self-signed ECDSA P-256 certificate (development; logs its SHA-256 fingerprint)")
	fs.StringVar(&t.minVersion, "tls-min-version", "1.2", "oldest TLS version accepted: 1.2 or 1.3")
	fs.IntVar(&t.concurrency, "tls-handshake-concurrency", 0, "TLS handshakes computing at once; 0 means 4 per core")
	fs.DurationVar(&t.watch, "tls-watch-interval", 2*time.Second, "how often -tls-cert and -tls-key are checked for changes; 0 disables the check")
}

// check validates the TLS flags together with -addr.
func (t *tlsOptions) check(plainAddr string) error {
	if t.addr == "" {
		if plainAddr == "" {
			return errors.New("-addr is empty and -tls-addr is not set: nothing to listen on")
		}
		return nil
	}
	if _, err := tlscert.ParseVersion(t.minVersion); err != nil {
		return fmt.Errorf("-tls-min-version: %w", err)
	}
	switch {
	case t.selfSigned && (t.cert != "" || t.key != ""):
		return errors.New("-tls-self-signed excludes -tls-cert and -tls-key")
	case !t.selfSigned && (t.cert == "" || t.key == ""):
		return errors.New("-tls-addr needs -tls-cert and -tls-key, or -tls-self-signed")
	}
	return nil
}

// build loads the certificate and returns the engine's TLS options, or nil
// options when TLS is off.
func (t *tlsOptions) build(log *slog.Logger) (*engine.TLSOptions, *tlscert.Store, error) {
	if t.addr == "" {
		return nil, nil, nil
	}
	var (
		store *tlscert.Store
		err   error
	)
	if t.selfSigned {
		store, err = tlscert.SelfSigned(365 * 24 * time.Hour)
		if err == nil {
			log.Warn("serving a self-signed TLS certificate (development only)", "hosts", strings.Join(tlscert.DefaultHosts, ","),
				"sha256", store.Fingerprint())
		}
	} else {
		store, err = tlscert.Load(t.cert, t.key)
		if err == nil {
			log.Info("TLS certificate loaded", "cert", t.cert, "sha256", store.Fingerprint(),
				"not_after", store.Certificate().Leaf.NotAfter.Format(time.RFC3339))
		}
	}
	if err != nil {
		return nil, nil, err
	}
	v, _ := tlscert.ParseVersion(t.minVersion) // checked by check
	return &engine.TLSOptions{Addr: t.addr, Config: tlscert.ServerConfig(store, v),
		HandshakeConcurrency: t.concurrency}, store, nil
}

// reloadCert reloads the certificate files (SIGHUP) and logs the outcome.
func reloadCert(store *tlscert.Store, log *slog.Logger) {
	if store == nil {
		return
	}
	if err := store.Reload(); err != nil {
		if !errors.Is(err, tlscert.ErrNoFiles) {
			log.Error("TLS certificate reload failed; keeping the current one", "err", err)
		}
		return
	}
	log.Info("TLS certificate reloaded", "sha256", store.Fingerprint())
}

// watchCert reloads the certificate when its files change, until ctx ends.
func watchCert(ctx context.Context, store *tlscert.Store, every time.Duration, log *slog.Logger) {
	if store == nil {
		return
	}
	go store.Watch(ctx, every, func(err error) {
		if err != nil {
			log.Error("TLS certificate files changed but do not load; keeping the current one", "err", err)
			return
		}
		log.Info("TLS certificate files changed; reloaded", "sha256", store.Fingerprint())
	})
}

// cmdDevcert writes a development CA and a certificate it signed.
func cmdDevcert(args []string) int {
	fs := flag.NewFlagSet("gateway devcert", flag.ContinueOnError)
	dir := fs.String("dir", "./data/tls", "directory for ca.pem, cert.pem and key.pem")
	hosts := fs.String("hosts", strings.Join(tlscert.DefaultHosts, ","), "comma-separated DNS names and IP addresses")
	valid := fs.Duration("valid", 30*24*time.Hour, "validity of both certificates")
	if err := fs.Parse(args); err != nil {
		return exitFor(err)
	}
	pki, err := tlscert.NewDevPKI(*valid, strings.Split(*hosts, ",")...)
	if err == nil {
		var certFile, keyFile string
		if certFile, keyFile, err = pki.WriteFiles(*dir); err == nil {
			fmt.Printf("CA (trust it in clients): %s/ca.pem\nserve with: -tls-cert %s -tls-key %s\n", *dir, certFile, keyFile)
			return 0
		}
	}
	fmt.Fprintln(os.Stderr, "gateway devcert:", err)
	return 1
}
