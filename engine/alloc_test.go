//go:build !race

package engine

import "testing"

// Allocation budgets of the hot paths (the race detector allocates, hence
// the build tag).

func TestAllocsReadFrames(t *testing.T) {
	srv, err := New(noopHandler{}, WithOptions(Options{MaxMessageSize: 1 << 20}))
	if err != nil {
		t.Fatal(err)
	}
	c := &Conn{srv: srv, state: stateOpen, upgraded: true}
	key := [4]byte{0x11, 0x22, 0x33, 0x44}
	var buf []byte
	for _, f := range []cframe{
		{fin: true, op: OpText, payload: asciiPayload(300)},
		{fin: true, op: OpBinary, payload: asciiPayload(70000)},
		{fin: true, op: OpPong, payload: asciiPayload(10)},
		{fin: true, op: OpText},
	} {
		f.maskKey, f.fixedKey = key, true
		buf = append(buf, f.bytes()...)
	}
	if n := testing.AllocsPerRun(100, func() { c.readFrames(buf) }); n != 0 || c.state != stateOpen {
		t.Fatalf("readFrames: %v allocs per run, state %d", n, c.state)
	}
}

func TestAllocsFinishFrame(t *testing.T) {
	buf := append(NewFrameBuffer(1000), asciiPayload(1000)...)
	if n := testing.AllocsPerRun(100, func() { FinishFrame(buf, OpText) }); n != 0 {
		t.Fatalf("FinishFrame: %v allocs per run", n)
	}
}

func TestAllocsUpgrade(t *testing.T) {
	up := newUpgrader()
	for _, tc := range []struct {
		name   string
		head   []byte
		budget float64
	}{
		{"bare", upgradeHead("/", "dGhlIHNhbXBsZSBub25jZQ=="), 1},
		{"token, device, platform", benchHead, 3}, // device and platform strings, gobwas's accept key; the token is not copied
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := testing.AllocsPerRun(100, func() {
				if _, ok := up.upgrade(tc.head); !ok {
					t.Fatal("upgrade failed")
				}
			})
			t.Logf("%v allocs", n)
			if n > tc.budget {
				t.Fatalf("upgrade: %v allocs per run, budget %v", n, tc.budget)
			}
		})
	}
}
