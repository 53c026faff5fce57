package testutil

import (
	"sync"
	"testing"
	"time"
)

// Wait bounds every read, poll and shutdown of the helpers: generous,
// because the suite runs under -race on a slow, noisy 2-core machine. It
// only turns a hang into a failure and is never a timing assertion.
const Wait = 20 * time.Second

// pollEvery is how long Eventually sleeps between calls of its condition.
const pollEvery = 5 * time.Millisecond

// Eventually calls cond until it returns nil, failing the test with cond's
// last error once timeout has passed. Test goroutine only.
func Eventually(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing after %v: %v", timeout, err)
		}
		time.Sleep(pollEvery)
	}
}

// RecvWithin receives one value from ch; ok is false when nothing came
// within d. Any goroutine.
func RecvWithin[T any](ch <-chan T, d time.Duration) (v T, ok bool) {
	select {
	case v = <-ch:
		return v, true
	case <-time.After(d):
		return v, false
	}
}

// WaitChan receives one value from ch, failing the test with what after
// Wait. Test goroutine only.
func WaitChan[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	v, ok := RecvWithin(ch, Wait)
	if !ok {
		t.Fatalf("%s: nothing received after %v", what, Wait)
	}
	return v
}

// WaitGroup waits for wg, failing the test with what after Wait. Test
// goroutine only.
func WaitGroup(t testing.TB, wg *sync.WaitGroup, what string) {
	t.Helper()
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	WaitChan(t, ch, what)
}

// Parallel runs fn(0) … fn(n-1), each on its own goroutine, waits for all
// of them and fails the test with every error they returned. Test
// goroutine only.
func Parallel(t testing.TB, n int, fn func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(i); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
}
