// Package benchtest starts a whole gateway (auth, hub, gateway, engine and
// its HTTP API) or an engine echo server inside the calling process, on
// 127.0.0.1:0, for the tests of the load client. The bench package itself
// never imports the gateway: only tests import this package.
//
// Goroutine safety: a started Gateway or Echo is used by its test only;
// the servers themselves are safe for any number of connections.
package benchtest
