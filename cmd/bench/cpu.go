package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of /proc/<pid>/stat's CPU times: Linux reports them
// in USER_HZ ticks, 100 a second on every architecture Go runs on.
const userHZ = 100

// cpuTime is the CPU time a process has used so far, user and system, all
// its threads included.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read CPU time: %w", err)
	}
	// The command name, in parentheses, may hold spaces: the fields that
	// follow it are state, ppid, ..., utime (the 12th) and stime (13th).
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("unexpected /proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// cpuUse is the CPU time each process in a flow has used so far: the
// server under test, its redis-server (none for the embedded store) and
// the bench itself, which generates the load.
type cpuUse struct {
	server, redis, bench time.Duration
}

func measureCPU(t *target) (cpuUse, error) {
	var u cpuUse
	var err error
	if u.server, err = cpuTime(t.proc.Pid()); err != nil {
		return u, err
	}
	if t.redis != nil {
		if u.redis, err = cpuTime(t.redis.Pid()); err != nil {
			return u, err
		}
	}
	u.bench, err = cpuTime(os.Getpid())
	return u, err
}

// setCPU sets r's CPU figures from the use before and after a flow
// that delivered r.Messages.
func (r *flowResult) setCPU(before, after cpuUse) {
	if r.Messages == 0 {
		return
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(r.Messages) }
	r.ServerCPUus = per(after.server - before.server)
	r.RedisCPUus = per(after.redis - before.redis)
	r.BenchCPUus = per(after.bench - before.bench)
}
