// Package tlscert holds the gateway's TLS certificate for the engine's
// wss:// listener: loaded from PEM files and reloaded without a restart (on
// request, for SIGHUP, and when the files change), or generated in memory
// for development. It also writes a development CA and a certificate signed
// by it, for clients that must trust what the gateway presents.
//
// A Store's GetCertificate goes into a tls.Config. A reload swaps the
// certificate atomically: handshakes already under way, and connections
// already open, keep the one they started with.
//
// Every method of Store is safe for concurrent use.
package tlscert
