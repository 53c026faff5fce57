package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/imgate/gateway/auth"
)

// cmdToken prints an access token signed with the secret the gateway would
// use with the same -jwt-secret, -jwt-secret-file and -data-dir.
func cmdToken(args []string) int {
	var o options
	fs := flag.NewFlagSet("gateway token", flag.ContinueOnError)
	sub := fs.String("sub", "", "user id (the token's sub claim), required")
	ttl := fs.Duration("ttl", time.Hour, "lifetime of the token")
	did := fs.String("did", "", "bind the token to this device_id")
	fs.StringVar(&o.jwtSecret, "jwt-secret", "", "HS256 secret (env GATEWAY_JWT_SECRET)")
	fs.StringVar(&o.jwtSecretFile, "jwt-secret-file", "", "file holding the HS256 secret")
	fs.StringVar(&o.dataDir, "data-dir", "./data", "directory of the generated secret")
	fs.StringVar(&o.jwtKeys, "jwt-keys", "", "key file: sign with its current key instead of the secret")
	if err := fs.Parse(args); err != nil {
		return exitFor(err)
	}
	if *sub == "" {
		fmt.Fprintln(os.Stderr, "gateway token: -sub is required")
		return 2
	}
	if o.jwtSecret == "" {
		o.jwtSecret = os.Getenv("GATEWAY_JWT_SECRET")
	}
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	secret, err := loadSecret(&o, quiet)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gateway token:", err)
		return 1
	}
	keys, err := loadKeys(&o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gateway token:", err)
		return 1
	}
	am, err := auth.New(auth.Config{Secret: secret, Keys: keys, AccessTTL: *ttl, Workers: 1, QueueSize: 1, StoreWorkers: 1})
	if err != nil {
		fmt.Fprintln(os.Stderr, "gateway token:", err)
		return 1
	}
	defer am.Close()
	token, _, err := am.IssueAccess(*sub, *did)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gateway token:", err)
		return 1
	}
	fmt.Println(token)
	return 0
}

// cmdPasswd reads a password from the first line of stdin and prints an
// htpasswd line with its bcrypt hash.
func cmdPasswd(args []string) int {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(os.Stderr, "usage: gateway passwd USER < password")
		return 2
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(os.Stderr, "gateway passwd: no password on stdin")
		return 1
	}
	out, err := auth.HtpasswdLine(args[0], strings.TrimRight(line, "\r\n"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "gateway passwd:", err)
		return 1
	}
	fmt.Println(out)
	return 0
}

func exitFor(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}
