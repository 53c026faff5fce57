//go:build !race

package engine

import (
	"testing"

	"github.com/imgate/gateway/engine/wsframe"
)

// Inflating on the loop allocates nothing once its buffers are warm.
func TestAllocsInflate(t *testing.T) {
	var in inflater
	z := wsframe.Compress(nil, chatJSON(3000))
	in.inflate(z, true, 64<<10)
	if n := testing.AllocsPerRun(100, func() {
		if _, code, _ := in.inflate(z, true, 64<<10); code != 0 {
			t.Fatal(code)
		}
	}); n != 0 {
		t.Fatalf("inflate: %v allocs per run", n)
	}
}

// Compressing a frame allocates its compressed frame and nothing else.
func TestAllocsDeflate(t *testing.T) {
	p := chatJSON(3000)
	wsframe.Compress(nil, p)
	if n := testing.AllocsPerRun(100, func() { wsframe.Compress(make([]byte, 0, 4096), p) }); n > 1 {
		t.Fatalf("Compress: %v allocs per run", n)
	}
}

// An upgrade that negotiates permessage-deflate allocates one more time
// than a bare one (the bare upgrade makes 1, this one 2).
func TestAllocsUpgradeDeflate(t *testing.T) {
	up := newUpgrader()
	up.u.Negotiate = up.negotiate
	head := upgradeHead("/", "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")
	n := testing.AllocsPerRun(100, func() {
		if _, ok := up.upgrade(head); !ok || up.pmd == 0 {
			t.Fatal("upgrade failed or did not negotiate")
		}
	})
	t.Logf("%v allocs", n)
	if n > 2 {
		t.Fatalf("upgrade with permessage-deflate: %v allocs per run, budget 2", n)
	}
}
