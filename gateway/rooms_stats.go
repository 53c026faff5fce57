package gateway

// RoomStats are the node's room counters, summed over the loops.
type RoomStats struct {
	Rooms       int64   `json:"rooms"`       // rooms with a member session on this node
	Memberships int64   `json:"memberships"` // (session, room) pairs on this node
	Deliveries  int64   `json:"deliveries"`  // room and broadcast frames queued to sessions since start
	Dropped     int64   `json:"dropped"`     // loop hand-offs refused because a loop's backlog was full
	Loops       []int64 `json:"loop_memberships"`
}

// RoomStats returns the room counters. Any goroutine.
func (g *Gateway) RoomStats() RoomStats {
	st := RoomStats{Rooms: g.rooms.dir.count.Load()}
	for _, lr := range g.rooms.allLoops() {
		var n int64
		if lr != nil {
			n = lr.memberships.Load()
			st.Deliveries += lr.deliveries.Load()
			st.Dropped += lr.dropped.Load()
		}
		st.Memberships += n
		st.Loops = append(st.Loops, n)
	}
	return st
}
