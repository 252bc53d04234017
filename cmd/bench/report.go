package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// report is a whole bench run: the machine, every run's rows, and the
// children's process ids (all gone once the bench has exited).
type report struct {
	Machine   machine `json:"machine"`
	Sizes     string  `json:"sizes"`
	Runs      int     `json:"runs"`
	Rows      []row   `json:"rows"`
	ChildPIDs []int   `json:"child_pids"`
	// Load names each scenario's size, for the tables' titles.
	Load map[string]string `json:"load"`
}

func (r report) writeJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write -json: %w", err)
	}
	return nil
}

// group is one scenario on one target over every run.
type group struct {
	target string
	rows   []row
}

// groups gathers a scenario's rows by target, in first-seen order.
func (r report) groups(scenario string) []group {
	var gs []group
	for _, rw := range r.Rows {
		if rw.Scenario != scenario {
			continue
		}
		i := 0
		for i < len(gs) && gs[i].target != rw.Target {
			i++
		}
		if i == len(gs) {
			gs = append(gs, group{target: rw.Target})
		}
		gs[i].rows = append(gs[i].rows, rw)
	}
	return gs
}

// flowMedian is the median over g's runs of one flow figure.
func (g group) flowMedian(f func(flowResult) float64) float64 {
	var xs []float64
	for _, rw := range g.rows {
		xs = append(xs, f(*rw.Flow))
	}
	return median(xs)
}

// flowSum adds one count over g's runs: a message lost in any run counts.
func (g group) flowSum(f func(flowResult) int) int {
	n := 0
	for _, rw := range g.rows {
		n += f(*rw.Flow)
	}
	return n
}

func (g group) idleMedian(f func(idleResult) float64) float64 {
	var xs []float64
	for _, rw := range g.rows {
		xs = append(xs, f(*rw.Idle))
	}
	return median(xs)
}

// relayOf is the relay's group among gs, if it ran.
func relayOf(gs []group) (group, bool) {
	for _, g := range gs {
		if g.target == relayName {
			return g, true
		}
	}
	return group{}, false
}

// ratio is a/b as "1.23×", or "–" without a yardstick.
func ratio(a, b float64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// scaleOut describes S2's scale-out rows, under S2's and S2X's titles.
const scaleOut = "Scaled out, beside the single instance (api-redis): \"2 instances\" is two api processes on the one redis-server, " +
	"each channel posted to on one and read and acknowledged on the other, so that every message crosses from one instance to the other " +
	"through Redis and the posters and readers are spread evenly; \"Cluster of 3 primaries\" is one api process on a Redis Cluster of three " +
	"primaries (no replicas). Their CPU figures add up every api instance and every Redis node."

// describeLoad names each scenario's load at sizes z.
func describeLoad(z sizes) map[string]string {
	return map[string]string{
		s1:  fmt.Sprintf("S1 one stream: one sequential poster (keep-alive), one SSE reader, %d messages of %d bytes", z.s1Messages, payloadSize),
		s2:  fmt.Sprintf("S2 parallel: %d channels, one poster and one reader each, %d messages in all", z.s2Channels, z.s2Messages),
		s2x: fmt.Sprintf("S2X scale-out: S2's load (%d channels, one poster and one reader each, %d messages in all) on two api instances and on a Redis Cluster", z.s2Channels, z.s2Messages),
		s3:  fmt.Sprintf("S3 fixed rate: %d messages/s on one channel for %v; latency from the scheduled send time", z.s3Rate, z.s3Duration),
		s4:  describeIdle(z.s4Streams),
		s6:  fmt.Sprintf("S6 broadcast: one POST /collections/{id}/messages to %d members, each a port of its own channel (no relay row: the relay has no broadcast)", z.s6Members),
		s5:  fmt.Sprintf("S5 resume: %d messages; the reader drops its connection after half and reconnects with Last-Event-ID", z.s5Messages),
	}
}

// describeIdle names S4's load of n streams.
func describeIdle(n int) string {
	return fmt.Sprintf("S4 idle streams: %d on distinct ports (no relay row: a blocking XREAD per stream needs a Redis connection each)", n)
}

// writeMarkdown prints the machine and one table per scenario: medians
// over the runs, counts of faults summed over them, ratios to the relay.
func (r report) writeMarkdown(w io.Writer, scenarios []string) {
	m := r.Machine
	fmt.Fprintf(w, "# tincan bench: %s sizes, %d run(s); medians over runs, faults summed over runs\n\n", r.Sizes, r.Runs)
	fmt.Fprintf(w, "Machine: %d cores, %s, %s, %s, Redis %s, open files limit %d; started %s.\n",
		m.Cores, m.CPU, m.Kernel, m.GoVersion, m.RedisVersion, m.OpenFiles, m.When)
	if m.OpenFilesShort != "" {
		fmt.Fprintf(w, "\n**Fewer streams than asked.** %s.\n", m.OpenFilesShort)
	}
	fmt.Fprintf(w, "\nPinning: %s.\n", m.Pinning)
	for _, sc := range scenarios {
		gs := r.groups(sc)
		if len(gs) == 0 {
			continue
		}
		title := r.Load[sc]
		if sc == s4 && m.OpenFilesShort != "" {
			// Fewer than the load named: the title says how many.
			title = describeIdle(gs[0].rows[0].Idle.Streams)
		}
		fmt.Fprintf(w, "\n## %s\n\n", title)
		if sc == s2 || sc == s2x {
			fmt.Fprintf(w, "%s\n\n", scaleOut)
		}
		switch sc {
		case s1, s2, s2x:
			writeThroughput(w, gs)
		case s3:
			writeFixedRate(w, gs)
		case s4:
			writeIdle(w, gs)
		case s5:
			writeResume(w, gs)
		case s6:
			writeBroadcast(w, gs)
		}
	}
}

func faults(g group) string {
	return fmt.Sprintf("%d | %d | %d | %d",
		g.flowSum(func(f flowResult) int { return f.Lost }),
		g.flowSum(func(f flowResult) int { return f.Duplicated }),
		g.flowSum(func(f flowResult) int { return f.OutOfOrder }),
		g.flowSum(func(f flowResult) int { return f.PostErrors + f.ReadErrors + f.Unrecognised + f.AckErrors }))
}

const faultHeads = "lost | duplicated | out of order | errors"

func writeThroughput(w io.Writer, gs []group) {
	relay, _ := relayOf(gs)
	delivered := func(f flowResult) float64 { return f.DeliverPerS }
	posted := func(f flowResult) float64 { return f.PostedPerS }
	fmt.Fprintln(w, "| target | messages | posted msg/s | delivered msg/s | delivered ÷ relay | p50 ms | p99 ms | max ms | "+faultHeads+" |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, g := range gs {
		fmt.Fprintf(w, "| %s | %.0f | %.0f | %.0f | %s | %.2f | %.2f | %.2f | %s |\n", g.target,
			g.flowMedian(func(f flowResult) float64 { return float64(f.Messages) }),
			g.flowMedian(posted), g.flowMedian(delivered),
			ratioTo(g, relay, delivered),
			g.flowMedian(func(f flowResult) float64 { return f.P50ms }),
			g.flowMedian(func(f flowResult) float64 { return f.P99ms }),
			g.flowMedian(func(f flowResult) float64 { return f.MaxMs }),
			faults(g))
	}
	writeCPU(w, gs)
}

// writeCPU prints where a flow's CPU went, per delivered message: the
// cores are shared by the servers, Redis and the load generator (pinned or
// not, as the header says), so a process that needs more of them leaves
// less to the others.
func writeCPU(w io.Writer, gs []group) {
	fmt.Fprintln(w, "\nCPU time per delivered message, µs (from /proc/<pid>/stat; 10 ms ticks; servers and redis-servers summed over instances and nodes; "+
		"\"in commands\": Redis's own clock around its commands, INFO commandstats, which counts the time it was preempted too, so on a loaded machine it can pass the CPU time, "+
		"and which counts a command that a function calls twice, in the function's time and under its own name, so that on the api's rows it overstates Redis's time by about a quarter to a third):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| target | server (api or relay) | redis-server | bench (load) | total | of redis-server: in commands | messages per acknowledgement |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	for _, g := range gs {
		server := g.flowMedian(func(f flowResult) float64 { return f.ServerCPUus })
		redis := g.flowMedian(func(f flowResult) float64 { return f.RedisCPUus })
		bench := g.flowMedian(func(f flowResult) float64 { return f.BenchCPUus })
		// Each acknowledgement is a request and a script of its own:
		// how many messages one covers tells how much of the api's load
		// they are.
		perAck := "–"
		if g.flowSum(func(f flowResult) int { return f.Acks }) > 0 {
			perAck = fmt.Sprintf("%.2f", g.flowMedian(func(f flowResult) float64 { return float64(f.Messages) / float64(max(f.Acks, 1)) }))
		}
		fmt.Fprintf(w, "| %s | %.0f | %.0f | %.0f | %.0f | %.1f | %s |\n", g.target, server, redis, bench,
			g.flowMedian(func(f flowResult) float64 { return f.ServerCPUus + f.RedisCPUus + f.BenchCPUus }),
			g.flowMedian(func(f flowResult) float64 { return f.RedisCmdUs }), perAck)
	}
}

func ratioTo(g, relay group, f func(flowResult) float64) string {
	if len(relay.rows) == 0 {
		return "–"
	}
	return ratio(g.flowMedian(f), relay.flowMedian(f))
}

func writeFixedRate(w io.Writer, gs []group) {
	relay, _ := relayOf(gs)
	p99 := func(f flowResult) float64 { return f.P99ms }
	fmt.Fprintln(w, "| target | messages | p50 ms | p99 ms | p99.9 ms | max ms | p99 ÷ relay | "+faultHeads+" |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, g := range gs {
		fmt.Fprintf(w, "| %s | %.0f | %.2f | %.2f | %.2f | %.2f | %s | %s |\n", g.target,
			g.flowMedian(func(f flowResult) float64 { return float64(f.Messages) }),
			g.flowMedian(func(f flowResult) float64 { return f.P50ms }),
			g.flowMedian(p99),
			g.flowMedian(func(f flowResult) float64 { return f.P999ms }),
			g.flowMedian(func(f flowResult) float64 { return f.MaxMs }),
			ratioTo(g, relay, p99), faults(g))
	}
}

// writeIdle prints S4's table: the server's memory, goroutines and Redis
// connections, and the bench's side: how long creating the channels and
// opening the streams took, and the bench's own memory.
func writeIdle(w io.Writer, gs []group) {
	fmt.Fprintln(w, "| target | streams | open (parked) at the api | RSS before MiB | RSS after MiB | KiB per stream | goroutines before → after | goroutines per stream | Redis clients before → after |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, g := range gs {
		clients := "–"
		if before := g.idleMedian(func(i idleResult) float64 { return float64(i.RedisClientsBefore) }); before >= 0 {
			clients = fmt.Sprintf("%.0f → %.0f", before, g.idleMedian(func(i idleResult) float64 { return float64(i.RedisClientsAfter) }))
		}
		fmt.Fprintf(w, "| %s | %.0f | %.0f (%.0f) | %.1f | %.1f | %.1f | %.0f → %.0f | %.2f | %s |\n", g.target,
			g.idleMedian(func(i idleResult) float64 { return float64(i.Streams) }),
			g.idleMedian(func(i idleResult) float64 { return float64(i.StreamsOpen) }),
			g.idleMedian(func(i idleResult) float64 { return float64(i.StreamsParked) }),
			g.idleMedian(func(i idleResult) float64 { return float64(i.RSSBeforeKiB) / 1024 }),
			g.idleMedian(func(i idleResult) float64 { return float64(i.RSSAfterKiB) / 1024 }),
			g.idleMedian(func(i idleResult) float64 { return i.KiBPerStream }),
			g.idleMedian(func(i idleResult) float64 { return float64(i.GoroutinesBefore) }),
			g.idleMedian(func(i idleResult) float64 { return float64(i.GoroutinesAfter) }),
			g.idleMedian(func(i idleResult) float64 { return i.GoroutinesPerStrm }),
			clients)
	}
	fmt.Fprintf(w, "\nOpening them, and the bench's side: the loopback addresses the streams came from, the time creating the channels and "+
		"opening the streams took (%d at a time), the CPU time opening took per stream (from /proc/<pid>/stat, 10 ms ticks), "+
		"and the bench's own RSS (after collecting its garbage) before and with every stream open:\n", openConcurrency)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| target | source addresses | create channels s | open streams s | streams opened/s | open CPU µs per stream: api | redis-server | bench | bench RSS before MiB | bench RSS after MiB | bench KiB per stream |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, g := range gs {
		fmt.Fprintf(w, "| %s | %.0f | %.2f | %.2f | %.0f | %.0f | %.0f | %.0f | %.1f | %.1f | %.2f |\n", g.target,
			g.idleMedian(func(i idleResult) float64 { return float64(i.Sources) }),
			g.idleMedian(func(i idleResult) float64 { return i.CreateSeconds }),
			g.idleMedian(func(i idleResult) float64 { return i.OpenSeconds }),
			g.idleMedian(func(i idleResult) float64 { return float64(i.Streams) / i.OpenSeconds }),
			g.idleMedian(func(i idleResult) float64 { return i.OpenServerCPUus }),
			g.idleMedian(func(i idleResult) float64 { return i.OpenRedisCPUus }),
			g.idleMedian(func(i idleResult) float64 { return i.OpenBenchCPUus }),
			g.idleMedian(func(i idleResult) float64 { return float64(i.BenchRSSBeforeKiB) / 1024 }),
			g.idleMedian(func(i idleResult) float64 { return float64(i.BenchRSSAfterKiB) / 1024 }),
			g.idleMedian(func(i idleResult) float64 { return i.BenchKiBPerStream }))
	}
}

func writeResume(w io.Writer, gs []group) {
	relay, _ := relayOf(gs)
	delivered := func(f flowResult) float64 { return f.DeliverPerS }
	fmt.Fprintln(w, "| target | messages | reconnects | delivered msg/s | delivered ÷ relay | "+strings.Replace(faultHeads, "duplicated", "repeated", 1)+" |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, g := range gs {
		fmt.Fprintf(w, "| %s | %.0f | %d | %.0f | %s | %s |\n", g.target,
			g.flowMedian(func(f flowResult) float64 { return float64(f.Messages) }),
			g.flowSum(func(f flowResult) int { return f.Reconnects }),
			g.flowMedian(delivered), ratioTo(g, relay, delivered), faults(g))
	}
}
