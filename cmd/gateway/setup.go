package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/imgate/gateway/auth"
)

// loadSecret finds the HS256 secret: -jwt-secret (or GATEWAY_JWT_SECRET),
// then -jwt-secret-file, then a secret generated once into -data-dir.
func loadSecret(o *options, log *slog.Logger) ([]byte, error) {
	switch {
	case o.jwtSecret != "":
		if len(o.jwtSecret) < auth.MinSecretLen {
			return nil, fmt.Errorf("-jwt-secret must be at least %d bytes", auth.MinSecretLen)
		}
		return []byte(o.jwtSecret), nil
	case o.jwtSecretFile != "":
		return auth.ReadSecretFile(o.jwtSecretFile)
	}
	secret, path, created, err := auth.LoadOrCreateSecret(o.dataDir)
	if err != nil {
		return nil, err
	}
	if created {
		log.Info("generated a JWT secret (mode 0600); mint tokens with `gateway token -sub USER`", "path", path)
	} else {
		log.Info("using the JWT secret stored earlier", "path", path)
	}
	return secret, nil
}

// loadUsers reads -users and adds the demo accounts with -demo.
func loadUsers(o *options) (*auth.Users, error) {
	users := auth.NewUsers()
	if o.users != "" {
		var err error
		if users, err = auth.LoadHtpasswd(o.users); err != nil {
			return nil, err
		}
	}
	if o.demo {
		if err := users.Merge(auth.DemoUsers()); err != nil {
			return nil, err
		}
	}
	return users, nil
}

// newLogger builds the process logger from -log-level and -log-format.
func newLogger(o *options) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		level = slog.LevelInfo
	}
	ho := &slog.HandlerOptions{Level: level}
	if o.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, ho))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, ho))
}
