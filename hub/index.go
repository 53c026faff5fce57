package hub

import "hash/maphash"

// userIndex is one shard's set of users, each represented by its first
// (oldest) Member and found by Member.UserID: an open-addressing hash table
// with linear probing and backward-shift deletion. A slot is one pointer,
// so a user costs 8 B divided by the load (between 7/16 and 7/8 once the
// table has grown), where a Go map of string to pointer costs a 24-byte
// slot plus control bytes (BENCHMARKS.md, "Memory per connection").
// It never shrinks. Not goroutine-safe: the shard's owner only.
type userIndex struct {
	slots []*Member // nil or a power of two long, never full
	n     int       // users in slots
	seed  maphash.Seed
}

const minIndexSlots = 8

func newUserIndex() userIndex { return userIndex{seed: maphash.MakeSeed()} }

// home is user's first probe.
func (x *userIndex) home(user string) int {
	return int(maphash.String(x.seed, user) & uint64(len(x.slots)-1))
}

// find returns the slot holding user's first member, or -1.
func (x *userIndex) find(user string) int {
	if x.n == 0 {
		return -1
	}
	mask := len(x.slots) - 1
	for i := x.home(user); ; i = (i + 1) & mask {
		m := x.slots[i]
		if m == nil {
			return -1
		}
		if m.UserID == user {
			return i
		}
	}
}

// get returns user's first member, or nil.
func (x *userIndex) get(user string) *Member {
	if i := x.find(user); i >= 0 {
		return x.slots[i]
	}
	return nil
}

// insert adds m as the first member of a user that is not in the index.
func (x *userIndex) insert(m *Member) {
	if (x.n+1)*8 > len(x.slots)*7 {
		x.grow()
	}
	x.place(m)
	x.n++
}

// place puts m in the first free slot from its home.
func (x *userIndex) place(m *Member) {
	mask := len(x.slots) - 1
	i := x.home(m.UserID)
	for x.slots[i] != nil {
		i = (i + 1) & mask
	}
	x.slots[i] = m
}

// grow doubles the slots and places every user again.
func (x *userIndex) grow() {
	old := x.slots
	x.slots = make([]*Member, max(minIndexSlots, 2*len(old)))
	for _, m := range old {
		if m != nil {
			x.place(m)
		}
	}
}

// removeAt empties slot i and moves later members of its probe run back,
// so that no lookup stops early at the hole (Knuth's algorithm R).
func (x *userIndex) removeAt(i int) {
	mask := len(x.slots) - 1
	for j := (i + 1) & mask; x.slots[j] != nil; j = (j + 1) & mask {
		if h := x.home(x.slots[j].UserID); !cyclicBetween(i, h, j) {
			x.slots[i] = x.slots[j]
			i = j
		}
	}
	x.slots[i] = nil
	x.n--
}

// cyclicBetween reports whether h lies in the cyclic interval (i, j].
func cyclicBetween(i, h, j int) bool {
	if i <= j {
		return i < h && h <= j
	}
	return i < h || h <= j
}
