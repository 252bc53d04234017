package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// A flow whose posts fail with 503 unavailable met a store that did not
// answer within the api's bound (REDIS_TIMEOUT). Two causes look alike
// from outside: the servers starved of CPU (on a loaded machine, every
// server of the bench shares its cores with whatever else runs there), or
// a Redis command that really takes long. Two figures of the flow tell
// them apart: how long the servers and redis-servers waited, runnable,
// for a CPU (the kernel's run-queue wait), and the slowest command Redis
// saw (its latency monitor, which the bench turns on at
// latencyThresholdMs).

// latencyThresholdMs is the redis-servers' latency-monitor-threshold: a
// command that takes longer is recorded, with the time of the slowest.
const latencyThresholdMs = 100

// runQueueWait is the time the process pid's threads have spent runnable
// but waiting for a CPU so far (/proc/<pid>/task/*/schedstat), and false
// where the kernel does not keep it.
func runQueueWait(pid int) (time.Duration, bool) {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0, false
	}
	var total time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, t.Name()))
		if err != nil {
			continue // a thread that ended meanwhile
		}
		w, ok := parseSchedstat(b)
		if !ok {
			return 0, false
		}
		total += w
	}
	return total, true
}

// parseSchedstat reads the run-queue wait of a schedstat file: three
// numbers, time on a CPU (ns), time waiting for one (ns), time slices.
func parseSchedstat(b []byte) (time.Duration, bool) {
	f := strings.Fields(string(b))
	if len(f) != 3 {
		return 0, false
	}
	ns, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || ns < 0 {
		return 0, false
	}
	return time.Duration(ns), true
}

// serversWait sums runQueueWait over procs; false if any is unknown.
func serversWait(procs []*child) (time.Duration, bool) {
	var total time.Duration
	for _, c := range procs {
		w, ok := runQueueWait(c.Pid())
		if !ok {
			return 0, false
		}
		total += w
	}
	return total, true
}

// resetLatency clears the latency monitors of the redis-servers nodes, so
// that slowestCommand then tells of this flow alone.
func resetLatency(ctx context.Context, nodes []*child) error {
	return eachNode(nodes, "LATENCY RESET", func(rdb *redis.Client) error {
		return rdb.Do(ctx, "LATENCY", "RESET").Err()
	})
}

// slowestCommand is the longest a command took on the nodes since their
// latency monitors were reset, in ms: 0 if none took latencyThresholdMs
// or more.
func slowestCommand(ctx context.Context, nodes []*child) (int64, error) {
	var slowest int64
	err := eachNode(nodes, "LATENCY LATEST", func(rdb *redis.Client) error {
		v, err := rdb.Do(ctx, "LATENCY", "LATEST").Slice()
		slowest = max(slowest, commandMax(v))
		return err
	})
	return slowest, err
}

// commandMax is the largest max of LATENCY LATEST's events of commands
// (command, fast-command): each event is [name, time, latest ms, max ms].
func commandMax(latest []any) int64 {
	var m int64
	for _, e := range latest {
		ev, ok := e.([]any)
		if len(ev) < 4 || !ok {
			continue
		}
		if name, _ := ev[0].(string); name != "command" && name != "fast-command" {
			continue
		}
		if ms, ok := ev[3].(int64); ok {
			m = max(m, ms)
		}
	}
	return m
}

// stallNote is what the bench says beside a flow's failed posts.
func (r *flowResult) stallNote() string {
	if r.RunQueueWaitMs < 0 {
		return "the servers' waits for a CPU are unknown (no /proc/<pid>/schedstat)"
	}
	slowest := fmt.Sprintf("no Redis command took %d ms or more", latencyThresholdMs)
	if r.RedisSlowestMs > 0 {
		slowest = fmt.Sprintf("the slowest Redis command took %d ms", r.RedisSlowestMs)
	}
	over := ""
	if r.DeliverPerS > 0 {
		over = fmt.Sprintf(" (summed over their threads) in the flow's %.1f s", float64(r.Messages)/r.DeliverPerS)
	}
	return fmt.Sprintf("meanwhile the servers and redis-servers waited %.1f s for a CPU%s, and %s", r.RunQueueWaitMs/1000, over, slowest)
}
