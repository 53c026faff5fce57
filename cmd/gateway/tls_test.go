package main

import (
	"io"
	"log/slog"
	"testing"
)

func TestTLSFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		ok   bool
	}{
		{name: "plain only", args: nil, ok: true},
		{name: "nothing to listen on", args: []string{"-addr", ""}},
		{name: "self-signed, TLS only", args: []string{"-addr", "", "-tls-addr", ":0", "-tls-self-signed"}, ok: true},
		{name: "files", args: []string{"-tls-addr", ":0", "-tls-cert", "c.pem", "-tls-key", "k.pem", "-tls-min-version", "1.3"}, ok: true},
		{name: "no certificate", args: []string{"-tls-addr", ":0"}},
		{name: "key missing", args: []string{"-tls-addr", ":0", "-tls-cert", "c.pem"}},
		{name: "both kinds", args: []string{"-tls-addr", ":0", "-tls-self-signed", "-tls-cert", "c.pem", "-tls-key", "k.pem"}},
		{name: "old version", args: []string{"-tls-addr", ":0", "-tls-self-signed", "-tls-min-version", "1.0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var o options
			if err := o.parse(tc.args, io.Discard); (err == nil) != tc.ok {
				t.Fatalf("parse(%q): %v", tc.args, err)
			}
		})
	}
}

func TestTLSBuildSelfSigned(t *testing.T) {
	o := tlsOptions{addr: "127.0.0.1:0", selfSigned: true, minVersion: "1.3", concurrency: 3}
	opts, store, err := o.build(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if opts.Addr != o.addr || opts.HandshakeConcurrency != 3 || opts.Config.MinVersion != 0x0304 || store == nil {
		t.Fatalf("options %+v", opts)
	}
	if off, store, err := (&tlsOptions{}).build(nil); off != nil || store != nil || err != nil {
		t.Fatal("TLS off must build nothing")
	}
}
