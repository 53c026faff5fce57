// Package chromium starts headless Chromium (Debian's chromium, or
// $CHROMIUM) with a fresh profile and drives it over the DevTools protocol:
// open a tab, evaluate JavaScript in it, send any DevTools command. The
// dashboard and demo-page tests use it. Test-only: only _test.go files
// import it; it is a package of its own because tests of several packages
// need it. A missing browser fails the test (make test installs it).
//
// A Browser belongs to the test goroutine that started it.
package chromium
