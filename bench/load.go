package bench

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat's CPU times: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// Load is what processes spent during the measurement phase of Echo and
// Chat, from /proc: CPU time, read and write system calls (syscr, syscw of
// /proc/PID/io: every read-, write- and send-family call, whatever it
// moved) and resident memory. Report.Server is the server processes'
// (Config.ServerPIDs), Report.Client bench's own: on a machine that client
// and server share, it shows which of the two the run was bound by.
type Load struct {
	Seconds       float64 `json:"seconds"`     // wall time between the samples
	CPUSeconds    float64 `json:"cpu_seconds"` // user + system
	ReadSyscalls  int64   `json:"read_syscalls"`
	WriteSyscalls int64   `json:"write_syscalls"`
	// Messages is what the figures per message divide by: echoes (Echo) or
	// messages delivered (Chat).
	Messages       int64   `json:"messages"`
	SyscallsPerMsg float64 `json:"syscalls_per_msg"`
	MsgsPerCPUSec  float64 `json:"msgs_per_cpu_second"`
	CoresUsed      float64 `json:"cores_used"` // CPU seconds per second
	RSSStart       int64   `json:"rss_start"`
	RSSEnd         int64   `json:"rss_end"`
	Error          string  `json:"error,omitempty"`
}

// procSample is one reading of the server processes.
type procSample struct {
	at            int64 // unix ns
	cpuTicks, rss int64
	syscr, syscw  int64
	err           error
}

// sampleProcs reads CPU, I/O syscall counts and RSS of pids, summed.
func sampleProcs(pids []int, atNanos int64) procSample {
	s := procSample{at: atNanos}
	for _, pid := range pids {
		p := strconv.Itoa(pid)
		ticks, err := readCPUTicks(p)
		if err == nil {
			var r, w int64
			if r, w, err = readSyscalls(p); err == nil {
				s.cpuTicks, s.syscr, s.syscw = s.cpuTicks+ticks, s.syscr+r, s.syscw+w
			}
		}
		rss, rerr := readRSS(p)
		s.rss += rss
		if err == nil {
			err = rerr
		}
		if err != nil && s.err == nil {
			s.err = fmt.Errorf("bench: server pid %d: %w", pid, err)
		}
	}
	return s
}

// addLoad returns the load of two processes of one run together: CPU,
// syscalls and memory add up, the wall time is the longer one. The
// figures per message are left for perMessage.
func addLoad(a, b *Load) *Load {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	l := &Load{
		Seconds:       max(a.Seconds, b.Seconds),
		CPUSeconds:    a.CPUSeconds + b.CPUSeconds,
		ReadSyscalls:  a.ReadSyscalls + b.ReadSyscalls,
		WriteSyscalls: a.WriteSyscalls + b.WriteSyscalls,
		RSSStart:      a.RSSStart + b.RSSStart,
		RSSEnd:        a.RSSEnd + b.RSSEnd,
		Error:         a.Error,
	}
	if l.Error == "" {
		l.Error = b.Error
	}
	return l
}

// perMessage sets the figures of l that depend on the message count.
func (l *Load) perMessage(messages int64) {
	l.Messages = messages
	l.SyscallsPerMsg, l.MsgsPerCPUSec, l.CoresUsed = 0, 0, 0
	if messages > 0 {
		l.SyscallsPerMsg = float64(l.ReadSyscalls+l.WriteSyscalls) / float64(messages)
	}
	if l.CPUSeconds > 0 {
		l.MsgsPerCPUSec = float64(messages) / l.CPUSeconds
	}
	if l.Seconds > 0 {
		l.CoresUsed = l.CPUSeconds / l.Seconds
	}
}

// sampleSelf reads this process like sampleProcs.
func sampleSelf(atNanos int64) procSample {
	s := procSample{at: atNanos}
	s.cpuTicks, s.err = readCPUTicks("self")
	if s.err == nil {
		s.syscr, s.syscw, s.err = readSyscalls("self")
	}
	if s.err == nil {
		s.rss, s.err = readRSS("self")
	}
	return s
}

// serverLoad compares two samples; messages is what the per-message
// figures divide by.
func serverLoad(a, b procSample, messages int64) *Load {
	l := &Load{
		Seconds:       float64(b.at-a.at) / 1e9,
		CPUSeconds:    float64(b.cpuTicks-a.cpuTicks) / clockTicks,
		ReadSyscalls:  b.syscr - a.syscr,
		WriteSyscalls: b.syscw - a.syscw,
		RSSStart:      a.rss,
		RSSEnd:        b.rss,
	}
	for _, err := range []error{a.err, b.err} {
		if err != nil && l.Error == "" {
			l.Error = err.Error()
		}
	}
	l.perMessage(messages)
	return l
}

// readCPUTicks returns utime + stime of /proc/PID/stat in clock ticks.
func readCPUTicks(pid string) (int64, error) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, err
	}
	return parseCPUTicks(b)
}

// parseCPUTicks reads fields 14 and 15 of /proc/PID/stat, counted after
// the command name, which is in parentheses and may hold spaces.
func parseCPUTicks(stat []byte) (int64, error) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, ErrProcFormat
	}
	f := bytes.Fields(stat[end+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, ErrProcFormat
	}
	u, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	s, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil || u < 0 || s < 0 {
		return 0, ErrProcFormat
	}
	return u + s, nil
}

// readSyscalls returns syscr and syscw of /proc/PID/io.
func readSyscalls(pid string) (r, w int64, err error) {
	b, err := os.ReadFile("/proc/" + pid + "/io")
	if err != nil {
		return 0, 0, err
	}
	return parseSyscalls(b)
}

func parseSyscalls(io []byte) (r, w int64, err error) {
	found := 0
	for _, line := range bytes.Split(io, []byte("\n")) {
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		n, perr := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
		if perr == nil && n < 0 {
			perr = ErrProcFormat
		}
		switch string(k) {
		case "syscr":
			r, err = n, perr
			found++
		case "syscw":
			w, err = n, perr
			found++
		}
		if err != nil {
			return 0, 0, ErrProcFormat
		}
	}
	if found != 2 {
		return 0, 0, ErrProcFormat
	}
	return r, w, nil
}
