// Package enginetest serves an engine.Handler on 127.0.0.1:0 for a test
// and stops it when the test ends. Test-only: only _test.go files and the
// other test-helper packages import it. It is apart from gwtest so that
// the internal tests of package gateway, which gwtest imports, can use it;
// engine's own tests keep their server helper, since this package imports
// engine. Serve must be called on the test goroutine.
package enginetest
