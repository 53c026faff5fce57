package hub

import (
	"sync"
	"sync/atomic"

	"github.com/imgate/gateway/engine/wsframe"
)

type opKind uint8

const (
	opAdd opKind = iota
	opRemove
	opDeliver
	opSessions
	opStop
)

// op is one queued operation and, intrusively, a node of the MPSC queue.
// A producer fills it before pushing; after the push only the owner reads it.
type op struct {
	next  atomic.Pointer[op]
	free  *op // link in a recycled chain (see opPool); nil while in use
	kind  opKind
	user  string
	m     *Member // Add/Remove: the member; Deliver: the member to skip
	frame *wsframe.Frame
	done  func(int)
	fn    func([]*Member)
}

// opPool holds chains of recycled ops linked through op.free. Owners hand
// back freeChain ops at a time and a producer keeps the rest of a chain in
// its P's private pool slot, so the common Get and Put are P-local and only
// one op in freeChain crosses between processors through the pool.
var opPool sync.Pool

const freeChain = 32

// getOp returns a zeroed op, recycled where possible. Goroutine-safe.
func getOp() *op {
	o, _ := opPool.Get().(*op)
	if o == nil {
		return new(op)
	}
	if rest := o.free; rest != nil {
		o.free = nil
		opPool.Put(rest)
	}
	return o
}

// recycler gathers an owner's finished ops into chains for opPool. Owner
// only.
type recycler struct {
	chain *op
	n     int
}

// put clears o's references (so that no frame or member stays reachable)
// and adds it to the chain, handing the chain to the pool when it is full.
func (r *recycler) put(o *op) {
	o.user, o.m, o.frame, o.done, o.fn = "", nil, nil, nil, nil
	o.free = r.chain
	r.chain = o
	if r.n++; r.n == freeChain {
		opPool.Put(r.chain)
		r.chain, r.n = nil, 0
	}
}
