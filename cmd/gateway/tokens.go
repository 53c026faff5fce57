package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/gateway"
)

// tokenFlags binds the token-lifecycle flags.
func (o *options) tokenFlags(fs *flag.FlagSet) {
	fs.DurationVar(&o.accessTTL, "access-ttl", 15*time.Minute, "lifetime of the access tokens the gateway issues")
	fs.DurationVar(&o.refreshTTL, "refresh-ttl", 720*time.Hour, "lifetime of a refresh token (each refresh issues a new one)")
	fs.DurationVar(&o.jwtLeeway, "jwt-leeway", 30*time.Second, "clock skew allowed on exp and nbf; a live session expires at exp plus this")
	fs.StringVar(&o.jwtKeys, "jwt-keys", "", "JSON key file (a superset of JWKS): keys by kid, each pinned to its algorithm (HMAC secrets;\n"+
		"RSA, ECDSA, Ed25519 public keys as PEM or JWK), and the current key that signs; reread on SIGHUP")
	fs.StringVar(&o.adminKey, "admin-key", "", "key of the admin HTTP API (POST /api/kick, POST /api/push), sent as Authorization: Bearer KEY\n"+
		"(env GATEWAY_ADMIN_KEY); empty disables that API")
	fs.StringVar(&o.loginPolicy, "login-policy", "multi", "what a new session does to the user's others: multi (keep up to\n"+
		"-max-sessions-per-user, kick the oldest beyond), single (newest wins), per-platform (one per platform)")
	fs.IntVar(&o.maxSessionsPerUser, "max-sessions-per-user", 16, "sessions per user under -login-policy multi; 0 means no cap")
}

// checkTokenFlags validates them and reads the admin key's environment
// fallback.
func (o *options) checkTokenFlags() error {
	if o.adminKey == "" {
		o.adminKey = os.Getenv("GATEWAY_ADMIN_KEY")
	}
	if _, err := o.store.resolve(o.cluster.natsURL, o.dataDir); err != nil {
		return err
	}
	if _, err := gateway.ParsePolicy(o.loginPolicy); err != nil {
		return fmt.Errorf("-login-policy: %w", err)
	}
	switch {
	case o.accessTTL <= 0, o.refreshTTL <= 0:
		return fmt.Errorf("-access-ttl and -refresh-ttl must be positive")
	case o.jwtLeeway < 0:
		return fmt.Errorf("-jwt-leeway must not be negative")
	case o.maxSessionsPerUser < 0:
		return fmt.Errorf("-max-sessions-per-user must not be negative")
	case o.adminKey != "" && len(o.adminKey) < 16:
		return fmt.Errorf("-admin-key must be at least 16 bytes")
	}
	return nil
}

// loadKeys reads -jwt-keys (nil when not given).
func loadKeys(o *options) (*auth.KeySet, error) {
	if o.jwtKeys == "" {
		return nil, nil
	}
	return auth.LoadKeySet(o.jwtKeys)
}

// reloadKeys rereads -jwt-keys (on SIGHUP); on error the keys in force stay.
func (a *app) reloadKeys(log *slog.Logger) {
	if a.opts.jwtKeys == "" {
		log.Info("SIGHUP ignored: no -jwt-keys")
		return
	}
	ks, err := loadKeys(a.opts)
	if err == nil {
		err = a.auth.SetKeys(ks)
	}
	if err != nil {
		log.Error("keys not reloaded; the previous keys stay in force", "path", a.opts.jwtKeys, "err", err)
		return
	}
	log.Info("keys reloaded", "path", a.opts.jwtKeys, "keys", len(ks.Keys), "current", ks.Current)
}
