// Package natstest starts an embedded NATS server (the real nats-server,
// in-process) on 127.0.0.1 and a random port for tests, optionally with
// JetStream, and can stop and start it again on the same port to test
// reconnects. Test-only: only _test.go files import it; it is a package
// of its own so that tests that need no NATS do not link the server.
//
// A Server belongs to the test goroutine that started it; URL and
// Interest may be called from any goroutine while it runs.
package natstest
