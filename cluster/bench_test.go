package cluster

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/imgate/gateway/internal/testutil/natstest"
)

// BenchmarkPublishToInterestedNode is the bus's data path between two
// nodes: node A publishes a 200-byte push for a user that node B has a
// session of; the timer stops when B's Push handler has run for every one.
// Both nodes and the NATS server share the machine.
func BenchmarkPublishToInterestedNode(b *testing.B) {
	ns := natstest.Start(b)
	a, _ := startBus(b, ns.URL(), nil)
	var got atomic.Int64
	rx, err := New(Config{URLs: []string{ns.URL()}, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	if err := rx.Start(Handlers{Push: func(string, []byte) { got.Add(1) }}); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(rx.Close)
	rx.Interest("bob", true)
	ns.WaitInterest(b, UserSubject("bob"), 1)
	waitReady(b, a, true)
	payload := make([]byte, 200)
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for a.Publish("bob", payload) != nil {
			time.Sleep(10 * time.Microsecond) // queue full: let the publisher catch up
		}
	}
	deadline := time.Now().Add(testWait)
	for got.Load() < int64(b.N) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Microsecond)
	}
	b.StopTimer()
	if got.Load() != int64(b.N) {
		b.Fatalf("received %d of %d", got.Load(), b.N)
	}
}

// BenchmarkPublishNoInterest is the cost of a publish nobody subscribes to
// (the sender's own subject when it has no other device elsewhere).
func BenchmarkPublishNoInterest(b *testing.B) {
	ns := natstest.Start(b)
	a, _ := startBus(b, ns.URL(), nil)
	waitReady(b, a, true)
	payload := make([]byte, 200)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for a.Publish("nobody", payload) != nil {
			time.Sleep(10 * time.Microsecond)
		}
	}
	for len(a.pub) > 0 {
		time.Sleep(100 * time.Microsecond)
	}
}

// BenchmarkPingPong is one message there and back between two nodes at a
// time: ns/op is the round trip (two publishes, two NATS hops, two pushes),
// an upper bound of twice the cross-node delivery latency without load.
func BenchmarkPingPong(b *testing.B) {
	ns := natstest.Start(b)
	pong := make(chan struct{}, 1)
	var a, c *Bus
	var err error
	if a, err = New(Config{URLs: []string{ns.URL()}, Logger: quietLogger()}); err != nil {
		b.Fatal(err)
	}
	if c, err = New(Config{URLs: []string{ns.URL()}, Logger: quietLogger()}); err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, 200)
	if err := a.Start(Handlers{Push: func(string, []byte) { pong <- struct{}{} }}); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(a.Close)
	if err := c.Start(Handlers{Push: func(string, []byte) { _ = c.Publish("alice", payload) }}); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	a.Interest("alice", true)
	c.Interest("bob", true)
	ns.WaitInterest(b, UserSubject("alice"), 1)
	ns.WaitInterest(b, UserSubject("bob"), 1)
	waitReady(b, a, true)
	waitReady(b, c, true)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := a.Publish("bob", payload); err != nil {
			b.Fatal(err)
		}
		<-pong
	}
}
