package gateway

import (
	"testing"

	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/engine/wsframe"
)

// TestRoomLoopBacklog: a loop whose drain has not run yet takes room
// frames up to its byte bound, then refuses them (counted), and a refused
// publish still reports its count.
func TestRoomLoopBacklog(t *testing.T) {
	// A drain is on its way: push schedules nothing.
	lr := &loopRooms{scheduled: true}
	frame := wsframe.New(engine.TextFrame(make([]byte, 1<<20-10))) // 1 MiB with its 10-byte header
	for range maxLoopBacklogBytes >> 20 {
		lr.push(roomJob{room: "r", frame: frame})
	}
	if len(lr.queue) != maxLoopBacklogBytes>>20 || lr.dropped.Load() != 0 {
		t.Fatalf("queued %d, dropped %d", len(lr.queue), lr.dropped.Load())
	}
	got := -1
	res := &pubResult{done: func(n int) { got = n }}
	res.left.Store(1)
	lr.push(roomJob{room: "r", frame: frame, res: res})
	if len(lr.queue) != maxLoopBacklogBytes>>20 || lr.dropped.Load() != 1 || got != 0 {
		t.Fatalf("past the bound: queued %d, dropped %d, publish count %d", len(lr.queue), lr.dropped.Load(), got)
	}
}
