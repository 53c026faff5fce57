package engine

import (
	"strconv"
	"testing"
)

// TestLoopRefQueue: frames queued with Conn.Queue inside a LoopRef.Execute
// task reach their connections in order when the task returns, and
// EachConn visits every open connection of the loop once.
func TestLoopRefQueue(t *testing.T) {
	rec := newRecorder(false)
	ts := startServer(t, rec, testOptions())
	var clients []*wsClient
	var conns []*Conn
	for range 4 {
		clients = append(clients, dialWS(t, ts.Addr(), "/"))
		c, _ := rec.nextOpen(t)
		conns = append(conns, c)
	}
	// Each connection gets three frames from one task.
	for i, c := range conns {
		c.LoopRef().Execute(func() {
			for k := range 3 {
				c.Queue(TextFrame([]byte(strconv.Itoa(i) + "." + strconv.Itoa(k))))
			}
		})
	}
	// Every loop visits its connections once.
	loops := map[int]LoopRef{}
	for _, c := range conns {
		loops[c.Loop()] = c.LoopRef()
	}
	for _, ref := range loops {
		ref.Execute(func() {
			ref.EachConn(func(c *Conn) { c.Queue(TextFrame([]byte("all"))) })
		})
	}
	for i, cl := range clients {
		for k, want := range []string{strconv.Itoa(i) + ".0", strconv.Itoa(i) + ".1", strconv.Itoa(i) + ".2", "all"} {
			f, err := cl.readFrame()
			if err != nil || f.op != OpText || string(f.payload) != want {
				t.Fatalf("client %d frame %d: %q %v, want %q", i, k, f.payload, err, want)
			}
		}
	}
}
