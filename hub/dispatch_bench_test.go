package hub

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
)

const (
	benchUsers    = 10000
	benchPermBits = 16 // random user sequence of 64Ki indices, cycled
)

// benchFixture: 10k users with 1 or 2 sessions each (15k members), each
// member's Sender a no-op counter, and a fixed random sequence of users.
type benchFixture struct {
	users    []string
	members  []*Member
	sessions int64
	perm     []uint16
}

var fixture = sync.OnceValue(func() *benchFixture {
	f := &benchFixture{}
	for u := range benchUsers {
		user := fmt.Sprintf("user-%d", u)
		f.users = append(f.users, user)
		for s := range u%2 + 1 {
			f.members = append(f.members, newMember(user, fmt.Sprint(s)))
		}
	}
	f.sessions = int64(len(f.members))
	rng := rand.New(rand.NewPCG(1, 2))
	f.perm = make([]uint16, 1<<benchPermBits)
	for i := range f.perm {
		f.perm[i] = uint16(rng.IntN(benchUsers))
	}
	return f
})

// BenchmarkDispatch compares the ways an op can reach a shard: the MPSC
// queue (the product), buffered channels to the same kind of owners, and a
// mutex per shard with the caller doing the work. Each sub-benchmark runs
// exactly P producer goroutines, each issuing its share of b.N Delivers to
// random users, and stops the clock after the last done callback.
func BenchmarkDispatch(b *testing.B) {
	for _, v := range []struct {
		name string
		make func() dispatcher
	}{
		{name: "mpsc", make: func() dispatcher {
			h, err := New(Config{})
			if err != nil {
				b.Fatal(err)
			}
			return h
		}},
		{name: "chan", make: func() dispatcher { return newChanTable(DefaultShards) }},
		{name: "mutex", make: func() dispatcher { return newMutexTable(DefaultShards) }},
	} {
		for _, producers := range []int{1, 2, 8} {
			b.Run(fmt.Sprintf("%s/producers=%d", v.name, producers), func(b *testing.B) {
				benchDispatch(b, v.make(), producers)
			})
		}
	}
}

func benchDispatch(b *testing.B, d dispatcher, producers int) {
	defer d.Close()
	f := fixture()
	for _, m := range f.members {
		d.Add(m)
	}
	for d.SessionCount() != f.sessions {
		runtime.Gosched()
	}
	frame := testFrame
	b.ReportAllocs()
	b.ResetTimer()
	var all sync.WaitGroup
	for p := range producers {
		n := b.N / producers
		if p < b.N%producers {
			n++
		}
		all.Go(func() {
			var calls sync.WaitGroup
			calls.Add(n)
			done := func(int) { calls.Done() }
			mask := len(f.perm) - 1
			off := p * len(f.perm) / producers
			for i := range n {
				d.Deliver(f.users[f.perm[(off+i)&mask]], frame, nil, done)
			}
			calls.Wait()
		})
	}
	all.Wait()
	b.StopTimer()
}
