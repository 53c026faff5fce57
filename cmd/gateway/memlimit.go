package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
)

// memoryOptions is -memory-limit: the Go runtime's soft memory limit
// (debug.SetMemoryLimit). A gateway's heap is mostly long-lived sessions;
// with GOGC=100 the runtime lets the heap grow to twice the live heap
// before it collects, which is the right trade while memory is plentiful
// and the wrong one near the machine's or the container's limit. The limit
// makes the collector run more often as the heap nears it, instead of the
// process being killed.
type memoryOptions struct {
	spec  string // "auto", "off", a size (512MiB) or a share of memory (60%)
	gcMin int    // -gc-min-percent: see gcpolicy.go
}

// autoShare is the share of the container's (else the machine's) memory
// that "auto" gives the Go runtime. The rest is for what the limit does not
// count: the kernel's socket buffers and TCP state (about 4.8 KiB per idle
// socket here, charged to the cgroup, several times the gateway's own
// ~1 KiB), the binary's pages, other processes.
const autoShare = 0.6

func (m *memoryOptions) bind(fs *flag.FlagSet) {
	fs.StringVar(&m.spec, "memory-limit", "auto", "Go runtime soft memory limit: auto ("+
		strconv.Itoa(int(autoShare*100))+"% of the cgroup's memory limit, else of physical memory; "+
		"GOMEMLIMIT, when set, wins), off, a size such as 512MiB or 4GiB (units B, KiB, MiB, GiB, TiB), "+
		"or a share of memory such as 50%. GOGC still sets the heap growth below the limit")
	m.bindGC(fs)
}

// check validates the flag without touching the runtime.
func (m *memoryOptions) check() error {
	_, _, err := m.resolve(os.Getenv("GOMEMLIMIT"), systemMemory)
	if err != nil {
		return err
	}
	return m.checkGC()
}

// apply sets the runtime's memory limit and logs it. main goroutine, once,
// before the listeners start.
func (m *memoryOptions) apply(log *slog.Logger) {
	limit, source, err := m.resolve(os.Getenv("GOMEMLIMIT"), systemMemory)
	if err != nil { // check() already refused it
		log.Error("memory limit", "err", err)
		return
	}
	if limit > 0 {
		debug.SetMemoryLimit(limit)
	}
	// The runtime's own value, whatever set it (math.MaxInt64: none).
	log.Info("memory limit", "bytes", debug.SetMemoryLimit(-1), "source", source, "gogc", os.Getenv("GOGC"))
}

// resolve turns the flag into a limit in bytes (0: leave the runtime as it
// is) and says where it came from. gomemlimit is $GOMEMLIMIT; total
// reports the memory available to the process and its source.
func (m *memoryOptions) resolve(gomemlimit string, total func() (int64, string)) (int64, string, error) {
	spec := strings.TrimSpace(m.spec)
	switch {
	case spec == "auto" && gomemlimit != "":
		return 0, "GOMEMLIMIT", nil // the runtime read it at start
	case spec == "auto":
		n, src := total()
		if n <= 0 {
			return 0, "unknown memory size: none", nil
		}
		return int64(float64(n) * autoShare), fmt.Sprintf("%d%% of %s", int(autoShare*100), src), nil
	case spec == "off":
		return math.MaxInt64, "off", nil
	case strings.HasSuffix(spec, "%"):
		p, err := strconv.ParseFloat(strings.TrimSuffix(spec, "%"), 64)
		if err != nil || p <= 0 || p > 100 {
			return 0, "", fmt.Errorf("-memory-limit %q: a share must be in (0%%, 100%%]", m.spec)
		}
		n, src := total()
		if n <= 0 {
			return 0, "", fmt.Errorf("-memory-limit %q: the memory size is unknown here; give a size", m.spec)
		}
		return int64(float64(n) * p / 100), fmt.Sprintf("%s of %s", spec, src), nil
	}
	n, err := parseSize(spec)
	if err != nil {
		return 0, "", fmt.Errorf("-memory-limit %q: %w", m.spec, err)
	}
	return n, "flag", nil
}

// errSize is a -memory-limit that is not a size.
var errSize = errors.New("want auto, off, N% or a size with unit B, KiB, MiB, GiB or TiB")

// parseSize reads a positive size like GOMEMLIMIT's: a number and a unit.
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil || v <= 0 || v*u.mult >= math.MaxInt64 {
				return 0, errSize
			}
			return int64(v * u.mult), nil
		}
	}
	return 0, errSize
}

// systemMemory is the memory this process may use: the lowest memory
// limit of its cgroup and the cgroup's ancestors (v2 memory.max, v1
// memory.limit_in_bytes) when one is below the physical memory, else the
// physical memory (/proc/meminfo). 0 when neither can be read.
func systemMemory() (int64, string) {
	phys := meminfoTotal(readFile("/proc/meminfo"))
	best, src := phys, "physical memory"
	for _, f := range cgroupLimitFiles(readFile("/proc/self/cgroup")) {
		if n, err := strconv.ParseInt(strings.TrimSpace(readFile(f)), 10, 64); err == nil && n > 0 && (best == 0 || n < best) {
			best, src = n, "the cgroup limit ("+f+")"
		}
	}
	if best == 0 {
		return 0, ""
	}
	return best, src
}

// cgroupLimitFiles lists the memory-limit files of the cgroups named in
// the text of /proc/self/cgroup, and of their ancestors up to the root of
// the mounted hierarchy ("max" and absent files are skipped by the caller).
func cgroupLimitFiles(procSelfCgroup string) []string {
	var files []string
	for line := range strings.SplitSeq(procSelfCgroup, "\n") {
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) != 3 {
			continue
		}
		var dir, file string
		switch {
		case parts[0] == "0" && parts[1] == "":
			dir, file = "/sys/fs/cgroup", "memory.max"
		case slices.Contains(strings.Split(parts[1], ","), "memory"):
			dir, file = "/sys/fs/cgroup/memory", "memory.limit_in_bytes"
		default:
			continue
		}
		for p := path.Clean("/" + parts[2]); ; p = path.Dir(p) {
			files = append(files, path.Join(dir, p, file))
			if p == "/" {
				break
			}
		}
	}
	return files
}

// meminfoTotal is MemTotal from the text of /proc/meminfo, in bytes; 0 if
// absent.
func meminfoTotal(meminfo string) int64 {
	for line := range strings.SplitSeq(meminfo, "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

func readFile(name string) string {
	b, err := os.ReadFile(name)
	if err != nil {
		return ""
	}
	return string(b)
}
