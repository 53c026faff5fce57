// Package clients serves the demo chat page and the JavaScript SDK it runs
// on (clients/js, an npm package of its own) from files embedded in the
// binary: the gateway mounts DemoHandler under /demo/ on -http-addr when
// -demo is on. DemoHandler is goroutine-safe.
package clients
