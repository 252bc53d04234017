package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// pinning keeps the load generator and the servers under test on separate
// cores, so that neither takes the other's CPU time and each process's
// figure is its own: the bench on benchCPUs, every child (api, relay,
// redis-server) on serverCPUs. With fewer than two cores allowed, or
// -pin=false, it is off and everything floats over every core.
type pinning struct {
	on                    bool
	benchCPUs, serverCPUs []int
	bench, servers        unix.CPUSet
	// why says why it is off.
	why string
}

// planPinning splits the CPUs this process may run on: the servers get
// the first two thirds (at least one), the bench the rest (at least one),
// because the bench's load is about a third of a delivered message's CPU
// (docs/PERFORMANCE.md). On two cores: the servers on the first, the
// bench on the second.
func planPinning(want bool) pinning {
	if !want {
		return pinning{why: "off (-pin=false)"}
	}
	var allowed unix.CPUSet
	if err := unix.SchedGetaffinity(0, &allowed); err != nil {
		return pinning{why: fmt.Sprintf("off (sched_getaffinity: %v)", err)}
	}
	var cpus []int
	for cpu := 0; len(cpus) < allowed.Count(); cpu++ {
		if allowed.IsSet(cpu) {
			cpus = append(cpus, cpu)
		}
	}
	if len(cpus) < 2 {
		return pinning{why: fmt.Sprintf("off (%d core allowed: nothing to split)", len(cpus))}
	}
	nBench := max(1, len(cpus)/3)
	p := pinning{on: true, serverCPUs: cpus[:len(cpus)-nBench], benchCPUs: cpus[len(cpus)-nBench:]}
	for _, c := range p.serverCPUs {
		p.servers.Set(c)
	}
	for _, c := range p.benchCPUs {
		p.bench.Set(c)
	}
	return p
}

// describe says how the run was pinned, for the report's header.
func (p *pinning) describe() string {
	if !p.on {
		return p.why
	}
	return fmt.Sprintf("bench on CPU %s, servers (api, relay, redis-server) on CPU %s (sched_setaffinity; -pin=false turns it off)",
		cpuList(p.benchCPUs), cpuList(p.serverCPUs))
}

// pinBench moves every thread of the bench onto the bench's CPUs. Threads
// the Go runtime starts later inherit the mask of the thread that starts
// them, so one that slipped through (started while this ran) is caught by
// the next call: runAll calls it before every flow.
func (p *pinning) pinBench() error {
	if !p.on {
		return nil
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return fmt.Errorf("pin the bench: %w", err)
	}
	for _, task := range tasks {
		tid, err := strconv.Atoi(task.Name())
		if err != nil {
			continue
		}
		// A thread that ended meanwhile is ESRCH: nothing to pin.
		if err := unix.SchedSetaffinity(tid, &p.bench); err != nil && err != unix.ESRCH {
			return fmt.Errorf("pin the bench's thread %d: %w", tid, err)
		}
	}
	return nil
}

// start starts cmd on the servers' CPUs. A child inherits the CPU mask of
// the thread that forks it, and keeps it across exec, in every thread it
// makes: so the fork runs on a thread locked for the purpose and moved to
// the servers' CPUs for the moment, then moved back. Setting the child's
// mask after it started would miss the threads it made meanwhile.
func (p *pinning) start(cmd *exec.Cmd) error {
	if p == nil || !p.on {
		return cmd.Start()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.SchedSetaffinity(0, &p.servers); err != nil {
		return fmt.Errorf("pin a child to the servers' CPUs: %w", err)
	}
	err := cmd.Start()
	if err2 := unix.SchedSetaffinity(0, &p.bench); err2 != nil && err == nil {
		return fmt.Errorf("move a thread back to the bench's CPUs: %w", err2)
	}
	return err
}

// cpusOf lists the CPUs each thread of process pid may run on, as
// /proc/<pid>/task/*/status says, deduplicated: what the pinning did, as
// opposed to what was planned.
func cpusOf(pid int) ([]string, error) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var lists []string
	for _, task := range tasks {
		status, err := os.ReadFile(dir + "/" + task.Name() + "/status")
		if err != nil {
			continue // the thread ended
		}
		for line := range strings.SplitSeq(string(status), "\n") {
			if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
				if v = strings.TrimSpace(v); !slices.Contains(lists, v) {
					lists = append(lists, v)
				}
			}
		}
	}
	return lists, nil
}

// cpuList writes CPUs as the kernel's lists do: 0-2,5.
func cpuList(cpus []int) string {
	var b strings.Builder
	for i := 0; i < len(cpus); {
		j := i
		for j+1 < len(cpus) && cpus[j+1] == cpus[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(cpus[i]))
		if j > i {
			b.WriteString("-" + strconv.Itoa(cpus[j]))
		}
		i = j + 1
	}
	return b.String()
}

// check reads, at the end of a run, which CPUs every thread of the bench
// and of the children pids may run on, and says whether that is what was
// planned, for the report's header.
func (p *pinning) check(pids []int) string {
	if !p.on {
		return ""
	}
	var odd []string
	look := func(who string, pid int, want string) {
		lists, err := cpusOf(pid)
		if err != nil {
			odd = append(odd, fmt.Sprintf("%s: %v", who, err))
			return
		}
		if len(lists) != 1 || lists[0] != want {
			odd = append(odd, fmt.Sprintf("%s's threads on CPU %s", who, strings.Join(lists, " and ")))
		}
	}
	look("the bench", os.Getpid(), cpuList(p.benchCPUs))
	for _, pid := range pids {
		look(fmt.Sprintf("child %d", pid), pid, cpuList(p.serverCPUs))
	}
	if len(odd) > 0 {
		return "; but /proc at the end of the run shows " + strings.Join(odd, "; ")
	}
	return fmt.Sprintf("; checked in /proc at the end of the run: every thread of the bench and of its %d children as planned", len(pids))
}
