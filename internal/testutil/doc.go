// Package testutil holds the helpers that the tests of every package of
// the gateway share: polling with a bound (Eventually), receiving from a
// channel with a bound (WaitChan), and a minimal WebSocket client over a
// real socket (Dial, Client.Read, Client.ExpectClose, …) that speaks the
// JSON envelope of PROTOCOL.md.
//
// It is test-only: only _test.go files import it. It cannot be a _test.go
// file itself because a _test.go file is visible to its own package only,
// and these helpers are shared by the tests of engine, gateway, cluster,
// hub, auth, bench and the commands.
//
// It imports no package of the project except internal/testlog, so that
// the internal tests of any package (package engine, package hub, …) may
// use it without an import cycle. Helpers that need the project's
// packages live in subpackages: natstest starts an embedded NATS server,
// gwtest a whole gateway.
//
// Every helper that takes a testing.TB calls t.Helper() and fails the test
// (t.Fatal) on error; the Try… variants return the error instead. A Client
// belongs to the test goroutine that dialed it unless a method says
// otherwise; the other helpers are goroutine-safe where they take no
// testing.TB (testing.TB's Fatal must run on the test goroutine).
package testutil
