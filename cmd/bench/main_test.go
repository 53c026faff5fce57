package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	t.Setenv(envSecret, "")
	t.Setenv(envPass, "")
	for _, tc := range []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		wantOut  []string
		wantErr  string
		notInOut string
	}{
		{name: "no args", args: nil, wantCode: 2, wantErr: "SYNOPSIS"},
		{name: "unknown scenario", args: []string{"flood"}, wantCode: 2, wantErr: "unknown scenario"},
		{name: "bad flag", args: []string{"connect", "-nope"}, wantCode: 2, wantErr: "-nope"},
		{name: "no secret", args: []string{"connect", "-check"}, wantCode: 2, wantErr: "no JWT secret"},
		{name: "bad target", args: []string{"idle", "-check", "-auth", "none", "-target", "http://x/"}, wantCode: 2, wantErr: "bad target"},
		{name: "bad src", args: []string{"idle", "-check", "-auth", "none", "-src", "127.0.0.9-127.0.0.1"}, wantCode: 2, wantErr: "source"},
		{name: "bad pid", args: []string{"idle", "-check", "-auth", "none", "-server-pid", "x"}, wantCode: 2, wantErr: "-server-pid"},
		{name: "too many conns", args: []string{"connect", "-check", "-auth", "none", "-conns", "100000000"}, wantCode: 2, wantErr: "RLIMIT_NOFILE"},
		{name: "check from env", args: []string{"chat", "-check", "-conns", "10", "-ramp", "2s", "-first-user", "5"},
			env: map[string]string{envSecret: "hunter2"}, wantOut: []string{"scenario     chat", "rate         5", "users        u5..u14", "secret set   true"},
			notInOut: "hunter2"},
		{name: "procs zero", args: []string{"idle", "-check", "-auth", "none", "-procs", "0"}, wantCode: 2, wantErr: "-procs 0"},
		{name: "more procs than conns", args: []string{"idle", "-check", "-auth", "none", "-conns", "2", "-procs", "3"}, wantCode: 2, wantErr: "bad config"},
		{name: "procs past one process", args: []string{"idle", "-check", "-auth", "none", "-conns", "30000", "-procs", "2", "-src", "127.0.0.2-127.0.0.3"},
			wantOut: []string{"conns        30000", "procs        2", "per process"}},
		{name: "bad to", args: []string{"chat", "-check", "-auth", "none", "-to", "all"}, wantCode: 2, wantErr: "-to"},
		{name: "to self", args: []string{"chat", "-check", "-auth", "none", "-to", "self"}, wantOut: []string{"to           self"}},
		{name: "positional argument", args: []string{"chat", "-check", "extra"}, wantCode: 2, wantErr: "unexpected argument"},
		{name: "bad child", args: []string{"chat", "-auth", "none", "-child", "3/2"}, wantCode: 2, wantErr: "-child"},
		{name: "echo defaults to no auth", args: []string{"echo", "-check", "-target", "ws://h:1/e"},
			wantOut: []string{"auth         none", "targets      ws://h:1/e"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var out, errOut bytes.Buffer
			code := run(tc.args, strings.NewReader(""), &out, &errOut)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.wantCode, errOut.String())
			}
			if !strings.Contains(errOut.String(), tc.wantErr) {
				t.Errorf("stderr lacks %q: %s", tc.wantErr, errOut.String())
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out.String())
				}
			}
			if tc.notInOut != "" && strings.Contains(out.String()+errOut.String(), tc.notInOut) {
				t.Errorf("output contains %q", tc.notInOut)
			}
		})
	}
}
