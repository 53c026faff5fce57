// Package peers holds nothing but this note: its commands (cmd/gorilla,
// cmd/gws, cmd/nbio) are minimal RFC 6455 echo servers on other Go
// WebSocket libraries, written for `make bench-peers`, which runs
// `bench echo` against each of them and against the gateway's cmd/echo at
// the same load. This is a module of its own so that the gateway's module
// never depends on them.
//
// Each server echoes every text and binary message unchanged on any path,
// with the library's defaults except compression (off everywhere) and a
// 16 MiB message limit, stops on SIGINT or SIGTERM, and takes -addr.
package peers
