package main

import (
	"regexp"
	"slices"
	"testing"
)

// -memory-limit resolves to the documented bytes: auto is a share of the
// memory found (and steps aside for GOMEMLIMIT), sizes use GOMEMLIMIT's
// units, shares need a known memory size, anything else is refused.
func TestMemoryLimitResolve(t *testing.T) {
	const gib = int64(1) << 30
	known := func() (int64, string) { return 10 * gib, "physical memory" }
	unknown := func() (int64, string) { return 0, "" }
	for _, tc := range []struct {
		name, spec, env string
		total           func() (int64, string)
		want            int64
		wantErr         bool
	}{
		{name: "auto", spec: "auto", total: known, want: int64(float64(10*gib) * autoShare)},
		{name: "auto defers to GOMEMLIMIT", spec: "auto", env: "1GiB", total: known, want: 0},
		{name: "auto, size unknown", spec: "auto", total: unknown, want: 0},
		{name: "off", spec: "off", env: "1GiB", total: known, want: 1<<63 - 1},
		{name: "MiB", spec: "512MiB", total: unknown, want: 512 << 20},
		{name: "fraction of GiB", spec: "1.5GiB", total: unknown, want: 3 * gib / 2},
		{name: "bytes", spec: "1000000B", total: unknown, want: 1000000},
		{name: "share", spec: "25%", total: known, want: 10 * gib / 4},
		{name: "share, size unknown", spec: "25%", total: unknown, wantErr: true},
		{name: "share over 100", spec: "150%", total: known, wantErr: true},
		{name: "no unit", spec: "512", total: known, wantErr: true},
		{name: "decimal unit", spec: "512MB", total: known, wantErr: true},
		{name: "zero", spec: "0MiB", total: known, wantErr: true},
		{name: "negative", spec: "-1GiB", total: known, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := memoryOptions{spec: tc.spec}
			got, _, err := m.resolve(tc.env, tc.total)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("resolve(%q, GOMEMLIMIT=%q) = %d, %v; want %d, error %v", tc.spec, tc.env, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestMeminfoTotal(t *testing.T) {
	const text = "MemFree:  100 kB\nMemTotal:       24683664 kB\nBuffers: 1 kB\n"
	if got := meminfoTotal(text); got != 24683664<<10 {
		t.Fatalf("meminfoTotal = %d", got)
	}
	if got := meminfoTotal("nothing"); got != 0 {
		t.Fatalf("meminfoTotal without MemTotal = %d", got)
	}
}

// The process runs with the limit it was given: the start-up log reports
// the runtime's own value, read back after setting it.
func TestMemoryLimitApplied(t *testing.T) {
	p := startGateway(t, 0, "-memory-limit", "48MiB")
	p.waitLog(regexp.MustCompile(`"msg":"memory limit","bytes":50331648,"source":"flag"`))
}

// The limit files come from the process's own cgroups and their ancestors,
// in both hierarchies, so that a service's limit (systemd MemoryMax=) is
// found on a host that does not mount the cgroup as the root.
func TestCgroupLimitFiles(t *testing.T) {
	const text = "12:pids:/\n4:memory:/process_api/c6cc\n0::/system.slice/imgate.service\n"
	want := []string{
		"/sys/fs/cgroup/memory/process_api/c6cc/memory.limit_in_bytes",
		"/sys/fs/cgroup/memory/process_api/memory.limit_in_bytes",
		"/sys/fs/cgroup/memory/memory.limit_in_bytes",
		"/sys/fs/cgroup/system.slice/imgate.service/memory.max",
		"/sys/fs/cgroup/system.slice/memory.max",
		"/sys/fs/cgroup/memory.max",
	}
	if got := cgroupLimitFiles(text); !slices.Equal(got, want) {
		t.Fatalf("cgroupLimitFiles:\n got %q\nwant %q", got, want)
	}
}
