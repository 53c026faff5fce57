package hub

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestMPSCPerProducerFIFO pushes numbered nodes from several producers into a
// bare queue and checks that the consumer sees every node exactly once and
// each producer's nodes in order.
func TestMPSCPerProducerFIFO(t *testing.T) {
	const producers, perProducer = 8, 20000
	var q mpsc
	q.init()
	seq := make([]Member, perProducer) // m = &seq[i] numbers node i
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := range perProducer {
				q.push(&op{user: string(rune('a' + p)), m: &seq[i]})
				if i%64 == 0 {
					runtime.Gosched()
				}
			}
		})
	}
	next := make(map[string]int)
	progress := time.Now()
	for got := 0; got < producers*perProducer; {
		o := q.pop()
		if o == nil {
			if time.Since(progress) > waitLimit {
				wg.Wait()
				t.Fatalf("no progress for %v after %d of %d nodes; %s",
					waitLimit, got, producers*perProducer, describe(&q))
			}
			runtime.Gosched()
			continue
		}
		progress = time.Now()
		if o == &q.stub {
			t.Fatal("pop returned the stub")
		}
		if o.m != &seq[next[o.user]] {
			t.Fatalf("producer %s: node out of order, want #%d", o.user, next[o.user])
		}
		next[o.user]++
		got++
	}
	wg.Wait()
	if o := q.pop(); o != nil {
		t.Fatalf("extra node from %s", o.user)
	}
}

// TestMPSCEmptyAndRefill drains the queue to empty repeatedly, which
// exercises the stub re-insertion path.
func TestMPSCEmptyAndRefill(t *testing.T) {
	var q mpsc
	q.init()
	for round := range 100 {
		n := round%3 + 1
		in := make([]*op, n)
		for i := range in {
			in[i] = &op{}
			q.push(in[i])
		}
		for i := range in {
			if o := q.pop(); o != in[i] {
				t.Fatalf("round %d: pop %d returned the wrong node", round, i)
			}
		}
		if o := q.pop(); o != nil {
			t.Fatalf("round %d: queue not empty", round)
		}
	}
}

// describe walks the queue from tail, telling a lost node (head not
// reachable) from a slow one.
func describe(q *mpsc) string {
	walk, last := 0, q.tail
	for n := q.tail; n != nil; n = n.next.Load() {
		walk++
		last = n
	}
	return fmt.Sprintf("%d nodes reachable from tail, head reachable: %v", walk, last == q.head.Load())
}
