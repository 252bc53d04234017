package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
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

// cpuUse is the CPU time the processes of a flow have used so far: the
// server under test (every instance of it), its redis-servers (none for
// the embedded store, every primary of a Cluster) and the bench itself,
// which generates the load.
type cpuUse struct {
	server, redis, bench time.Duration
	// redisCmds is the redis-servers' time in commands (redisCommandTime).
	redisCmds time.Duration
	// waited is the time the servers and redis-servers have spent
	// runnable but waiting for a CPU (runQueueWait), if waitKnown.
	waited    time.Duration
	waitKnown bool
}

func measureCPU(ctx context.Context, t *target) (cpuUse, error) {
	var u cpuUse
	sum := func(procs []*child) (time.Duration, error) {
		var total time.Duration
		for _, c := range procs {
			d, err := cpuTime(c.Pid())
			if err != nil {
				return 0, err
			}
			total += d
		}
		return total, nil
	}
	var err error
	if u.server, err = sum(t.procs); err != nil {
		return u, err
	}
	if u.redis, err = sum(t.redis); err != nil {
		return u, err
	}
	if u.redisCmds, err = redisCommandTime(ctx, t.redis); err != nil {
		return u, err
	}
	u.waited, u.waitKnown = serversWait(append(slices.Clone(t.procs), t.redis...))
	u.bench, err = cpuTime(os.Getpid())
	return u, err
}

// setCPU sets r's CPU figures from the use before and after a flow
// that delivered r.Messages.
func (r *flowResult) setCPU(before, after cpuUse) {
	r.RunQueueWaitMs = -1
	if before.waitKnown && after.waitKnown {
		r.RunQueueWaitMs = float64((after.waited - before.waited).Microseconds()) / 1000
	}
	if r.Messages == 0 {
		return
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(r.Messages) }
	r.ServerCPUus = per(after.server - before.server)
	r.RedisCPUus = per(after.redis - before.redis)
	r.RedisCmdUs = per(after.redisCmds - before.redisCmds)
	r.BenchCPUus = per(after.bench - before.bench)
}

// redisCommandTime is the time the redis-servers nodes have spent running
// commands so far (INFO commandstats, the usec of every command but INFO
// itself, summed over the nodes): Redis's own clock around each command,
// which leaves out its event loop and socket work. It is wall time: on a
// quiet machine the part of Redis's CPU time spent in commands, on a
// loaded one also the time Redis was preempted in them.
func redisCommandTime(ctx context.Context, nodes []*child) (time.Duration, error) {
	var total time.Duration
	err := eachNode(nodes, "INFO commandstats", func(rdb *redis.Client) error {
		info, err := rdb.Info(ctx, "commandstats").Result()
		if err != nil {
			return err
		}
		for line := range strings.SplitSeq(info, "\n") {
			name, stats, ok := strings.Cut(strings.TrimSpace(line), ":")
			if !ok || !strings.HasPrefix(name, "cmdstat_") || name == "cmdstat_info" {
				continue
			}
			for field := range strings.SplitSeq(stats, ",") {
				if v, ok := strings.CutPrefix(field, "usec="); ok {
					us, err := strconv.ParseInt(v, 10, 64)
					if err != nil {
						return fmt.Errorf("%q", line)
					}
					total += time.Duration(us) * time.Microsecond
				}
			}
		}
		return nil
	})
	return total, err
}

// eachNode runs do with a client of each of the redis-servers nodes in
// turn, closing it after; an error names what and the node.
func eachNode(nodes []*child, what string, do func(rdb *redis.Client) error) error {
	for _, n := range nodes {
		rdb := redis.NewClient(&redis.Options{Addr: n.addr})
		err := do(rdb)
		rdb.Close()
		if err != nil {
			return fmt.Errorf("%s of %s: %w", what, n.name, err)
		}
	}
	return nil
}
