package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// fdReserve is the number of open files kept back for stdio, the stats
// fetch, the JSON report and the runtime.
const fdReserve = 64

// RaiseNoFileLimit raises the soft RLIMIT_NOFILE to the hard limit and
// returns the resulting soft limit. Safe to call more than once.
func RaiseNoFileLimit() (uint64, error) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 0, err
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
			return 0, err
		}
	}
	return rl.Cur, nil
}

// MaxConns is the most connections one bench process can open under the
// given open-files limit.
func MaxConns(nofile uint64) int {
	if nofile <= fdReserve {
		return 0
	}
	return int(min(nofile-fdReserve, 1<<30))
}

// checkLimits raises RLIMIT_NOFILE and refuses runs that cannot fit it or
// the ephemeral port range.
func checkLimits(c Config) error {
	nofile, err := RaiseNoFileLimit()
	if err != nil {
		return fmt.Errorf("bench: raising RLIMIT_NOFILE: %w", err)
	}
	if err := checkFiles(c, nofile); err != nil {
		return err
	}
	return checkPorts(c, ephemeralPorts())
}

// checkFiles refuses more connections than nofile open files allow.
func checkFiles(c Config, nofile uint64) error {
	if m := MaxConns(nofile); c.Conns > m {
		return fmt.Errorf("%w: -conns %d needs about %d open files but RLIMIT_NOFILE is %d "+
			"(the hard limit); lower -conns to %d or run several bench processes with -first-user",
			ErrTooManyConns, c.Conns, c.Conns+fdReserve, nofile, m)
	}
	return nil
}

// checkPorts refuses more connections than the source addresses and
// targets leave ports for.
func checkPorts(c Config, ports int) error {
	pairs := max(len(c.Src), 1) * distinctHosts(c.Targets)
	if c.Conns > pairs*ports {
		return fmt.Errorf("%w: -conns %d over %d source×target pairs of %d ports each; add -src addresses "+
			"(e.g. -src 127.0.0.2-127.0.0.80) or targets", ErrPorts, c.Conns, pairs, ports)
	}
	return nil
}

// ephemeralPorts is the size of the local port range (28232 when unknown).
func ephemeralPorts() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 28232
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 28232
	}
	lo, err1 := strconv.Atoi(f[0])
	hi, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || hi < lo {
		return 28232
	}
	return hi - lo + 1
}

func distinctHosts(targets []string) int {
	seen := map[string]bool{}
	for _, t := range targets {
		if u, err := url.Parse(t); err == nil {
			seen[u.Host] = true
		}
	}
	return max(len(seen), 1)
}

// setBindNoPort is a net.Dialer Control func: with a fixed local address it
// lets the kernel pick the port at connect time, so that one source address
// can reach many destinations with the same port (IP_BIND_ADDRESS_NO_PORT).
func setBindNoPort(_, _ string, rc syscall.RawConn) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
	})
	if err != nil {
		return err
	}
	return serr
}

// readRSS returns VmRSS in bytes of a process ("self" for this one).
func readRSS(pid string) (int64, error) {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0, err
	}
	return parseVmRSS(b)
}

// parseVmRSS finds the "VmRSS:  1234 kB" line of /proc/PID/status.
func parseVmRSS(status []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) != 2 || f[1] != "kB" {
			break
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || kb < 0 || kb > math.MaxInt64>>10 {
			break
		}
		return kb << 10, nil
	}
	return 0, ErrNoRSS
}

// sumRSS adds up VmRSS of pids; the error names the first pid it could not read.
func sumRSS(pids []int) (int64, error) {
	var total int64
	for _, p := range pids {
		rss, err := readRSS(strconv.Itoa(p))
		if err != nil {
			return 0, fmt.Errorf("bench: server pid %d: %w", p, err)
		}
		total += rss
	}
	return total, nil
}
