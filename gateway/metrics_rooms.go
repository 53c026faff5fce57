package gateway

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	descRooms          = desc("rooms", "Rooms with at least one member session on this node.")
	descMemberships    = desc("room_memberships", "Room memberships (session, room) per event loop.", "loop")
	descRoomDeliveries = desc("room_deliveries_total", "Room (3101) and broadcast (3102) frames queued to sessions.")
	descRoomDropped    = desc("room_handoffs_dropped_total", "Room messages a loop refused because its backlog was full.")
)

// roomCollector reads the room counters at scrape time.
type roomCollector struct{ g *Gateway }

// Describe sends every descriptor.
func (c roomCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRooms, descMemberships, descRoomDeliveries, descRoomDropped} {
		ch <- d
	}
}

// Collect reads the counters.
func (c roomCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.g.RoomStats()
	ch <- prometheus.MustNewConstMetric(descRooms, prometheus.GaugeValue, float64(st.Rooms))
	for i, n := range st.Loops {
		ch <- prometheus.MustNewConstMetric(descMemberships, prometheus.GaugeValue, float64(n), strconv.Itoa(i))
	}
	ch <- prometheus.MustNewConstMetric(descRoomDeliveries, prometheus.CounterValue, float64(st.Deliveries))
	ch <- prometheus.MustNewConstMetric(descRoomDropped, prometheus.CounterValue, float64(st.Dropped))
}
