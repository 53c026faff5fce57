package main

import (
	"io"
	"log/slog"
	"testing"
)

func TestClusterFlags(t *testing.T) {
	t.Setenv("GATEWAY_NATS_URL", "")
	t.Setenv("GATEWAY_ADMIN_KEY", "from-env-0123456789")
	var o options
	err := o.parse([]string{"-nats-url", "nats://a:4222,nats://b:4222", "-node-id", "gw1", "-reuseport",
		"-backend-timeout", "2s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.cluster.natsURL != "nats://a:4222,nats://b:4222" || o.cluster.nodeID != "gw1" || !o.prod.reusePort ||
		o.adminKey != "from-env-0123456789" || o.cluster.backendTimeout.String() != "2s" {
		t.Fatalf("parsed %+v", o)
	}
	bus, err := newBus(&o.cluster, slog.New(slog.DiscardHandler))
	if err != nil || bus == nil || bus.NodeID() != "gw1" {
		t.Fatalf("newBus: %v, %v", bus, err)
	}
	bus.Close()
	if presenceHook(bus) == nil || asCluster(bus) == nil {
		t.Fatal("a bus must be wired")
	}
}

func TestSingleNodeHasNoBus(t *testing.T) {
	t.Setenv("GATEWAY_NATS_URL", "")
	var o options
	if err := o.parse(nil, io.Discard); err != nil {
		t.Fatal(err)
	}
	bus, err := newBus(&o.cluster, slog.New(slog.DiscardHandler))
	if err != nil || bus != nil {
		t.Fatalf("newBus without -nats-url: %v, %v", bus, err)
	}
	if presenceHook(bus) != nil || asCluster(bus) != nil {
		t.Fatal("no bus: no hook, no cluster (and no typed nil)")
	}
	if err := startBus(nil, &busRelay{}, nil); err != nil {
		t.Fatal(err)
	}
}

func TestNATSTLSConfig(t *testing.T) {
	for _, tc := range []struct {
		name   string
		c      clusterOptions
		tls    bool
		errors bool
	}{
		{name: "none", c: clusterOptions{}},
		{name: "required", c: clusterOptions{tlsOn: true}, tls: true},
		{name: "missing CA file", c: clusterOptions{tlsCA: "/nonexistent/ca.pem"}, errors: true},
		{name: "cert without key", c: clusterOptions{tlsCert: "c.pem"}, errors: true},
		{name: "unreadable key pair", c: clusterOptions{tlsCert: "/nonexistent/c.pem", tlsKey: "/nonexistent/k.pem"}, errors: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := tc.c.tlsConfig()
			if (err != nil) != tc.errors || (cfg != nil) != tc.tls {
				t.Fatalf("tlsConfig: %v, %v", cfg, err)
			}
		})
	}
}
