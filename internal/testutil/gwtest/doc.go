// Package gwtest starts a whole gateway in the test's process (auth, hub,
// gateway, engine on 127.0.0.1:0, and the HTTP API on its own
// 127.0.0.1:0) and talks to it with testutil's client: Start, then
// Connect, DialToken, Token or Post. Test-only: only _test.go files and
// the other test-helper packages import it. Since it imports package
// gateway, the internal tests of gateway cannot use it; they use
// enginetest and testutil directly.
//
// Start must be called on the test goroutine; a Gateway's fields may be
// used from any goroutine, as their own documentation allows.
package gwtest
