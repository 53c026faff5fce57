package bench

import (
	"bytes"
	"sync"
)

// parseContent reads "bench:<ns>:<from>:<seq>:..." content.
func parseContent(s []byte) (ns int64, from int, seq int64, ok bool) {
	rest, found := bytes.CutPrefix(s, []byte(contentPrefix))
	if !found {
		return 0, 0, 0, false
	}
	var f [3]int64
	for i := range f {
		end := bytes.IndexByte(rest, ':')
		if end < 0 {
			return 0, 0, 0, false
		}
		if f[i], ok = jsonInt(rest[:end]); !ok || f[i] < 0 {
			return 0, 0, 0, false
		}
		rest = rest[end+1:]
	}
	return f[0], int(f[1]), f[2], f[1] < 1<<31
}

// senderLog records which of one sender's seqs were delivered. The zero
// value is ready; safe for concurrent use.
type senderLog struct {
	mu   sync.Mutex
	bits []uint64 // guarded by mu
}

// maxSeq bounds the seqs a senderLog tracks (8 MiB of bits per sender).
const maxSeq = 1 << 26

// mark records seq and reports whether it is new.
func (l *senderLog) mark(seq int64) bool {
	if seq <= 0 || seq >= maxSeq {
		return true
	}
	w, bit := int(seq/64), uint64(1)<<(seq%64)
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(l.bits) <= w {
		l.bits = append(l.bits, 0)
	}
	if l.bits[w]&bit != 0 {
		return false
	}
	l.bits[w] |= bit
	return true
}
