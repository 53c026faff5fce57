package main

import (
	"io"
	"reflect"
	"testing"
	"time"
)

func TestRoomsFlags(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		open   []string
		ok     bool
		max    int
		window time.Duration
	}{
		{name: "defaults", ok: true, max: 64},
		{name: "demo opens every room", args: []string{"-demo"}, open: []string{"*"}, ok: true, max: 64},
		{name: "demo keeps a given list", args: []string{"-demo", "-rooms-open", "live:*, lobby"}, open: []string{"live:*", "lobby"}, ok: true, max: 64},
		{name: "demo with an empty list opens none", args: []string{"-demo", "-rooms-open", ""}, ok: true, max: 64},
		{name: "limit and window", args: []string{"-max-rooms-per-session", "3", "-fanout-coalesce", "5ms"}, ok: true, max: 3, window: 5 * time.Millisecond},
		{name: "limit must be positive", args: []string{"-max-rooms-per-session", "0"}},
		{name: "window too long", args: []string{"-fanout-coalesce", "2s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var o options
			if err := o.flagSet(io.Discard).Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			cfg, err := o.rooms.config(o.demo)
			if (err == nil) != tc.ok {
				t.Fatalf("err %v, want ok %v", err, tc.ok)
			}
			if tc.ok && (!reflect.DeepEqual(cfg.Open, tc.open) || cfg.MaxPerSession != tc.max || cfg.Coalesce != tc.window) {
				t.Fatalf("config %+v", cfg)
			}
		})
	}
}
