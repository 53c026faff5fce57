// Package authtest makes what tests need from package auth: access tokens
// signed with a given secret (valid or already expired) and user tables
// hashed at bcrypt's lowest cost. Test-only: only _test.go files (and the
// other test-helper packages) import it; it is apart from testutil because
// the tests of package auth itself use testutil, and this package imports
// auth. Everything here is goroutine-safe except that a testing.TB's
// Fatal must run on its test goroutine.
package authtest
