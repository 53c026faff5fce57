// Package heapsite reads the exact heap profile (runtime.MemProfileRate
// set to 1 by the caller) and sums the in-use bytes that chosen goroutines
// allocated, in total and by allocation site. The memory-budget tests of
// engine and gateway use it: heap, not RSS, so that they hold on a noisy
// machine.
package heapsite
