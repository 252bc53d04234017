// Command bench measures tincan against the thinnest Redis relay of
// messages, in one run on one machine, and prints a Markdown table of
// absolute figures and ratios to the relay. It starts everything it needs
// (a private redis-server, the api on Redis and on the embedded store, the
// relay, and for S2 a second api instance and a private Redis Cluster) on
// free loopback ports and kills it all when it ends.
//
//	go run ./cmd/bench                      # the full scenarios, 3 runs
//	go run ./cmd/bench -smoke               # a small run proving it all works
//	go run ./cmd/bench -scenarios S1,S4 -runs 5
//	go run ./cmd/bench -scenarios S2X       # S2's scale-out rows alone
//	go run ./cmd/bench -scenarios S4 -runs 1 -s4-streams 100000
//	go run ./cmd/bench -pin=false           # no pinning to separate cores
//	go run ./cmd/bench -scenarios S2 -runs 1 -cpuprofile /tmp/prof
//
// Where there are two cores or more, the bench runs on cores of its own
// and the servers on the others (pin.go). docs/PERFORMANCE.md describes
// the scenarios and the figures.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// options are the command line's choices.
type options struct {
	smoke     bool
	runs      int
	scenarios []string
	jsonPath  string
	// profileDir, when set, receives CPU profiles of the api during every
	// message flow (S1, S2, S3, S5).
	profileDir string
	sizes      sizes
	// pin asks to keep the bench and the servers on separate cores
	// (pinning, off by itself on fewer than two).
	pin bool
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-relay" {
		if len(os.Args) != 4 {
			fmt.Fprintln(os.Stderr, "usage: bench -relay LISTEN_ADDR REDIS_ADDR")
			os.Exit(2)
		}
		if err := runRelay(os.Args[2], os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	opts, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		os.Exit(2)
	}
	if err := run(opts, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		if errors.Is(err, errNoRedis) {
			os.Exit(3)
		}
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.BoolVar(&o.smoke, "smoke", false, "a small run (a few hundred messages, 100 idle streams, 1 run) proving the bench works")
	s4Streams := fs.Int("s4-streams", 0, "idle streams S4 opens on each target (default 10,000, or 100 with -smoke)")
	fs.IntVar(&o.runs, "runs", 0, "times each scenario runs; medians are reported (default 3, or 1 with -smoke)")
	list := fs.String("scenarios", strings.Join(defaultScenarios, ","), "comma-separated scenarios to run, of "+strings.Join(allScenarios, ",")+" (S2X: S2's scale-out rows only)")
	fs.BoolVar(&o.pin, "pin", true, "pin the bench and the servers to separate cores (off by itself with fewer than 2 cores)")
	fs.StringVar(&o.jsonPath, "json", "", "also write every run's figures as JSON to this file")
	fs.StringVar(&o.profileDir, "cpuprofile", "", "write CPU profiles of the api during each message flow to this directory (costs the api some CPU: not for the figures)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		err := fmt.Errorf("unexpected arguments %q", fs.Args())
		fmt.Fprintln(stderr, err)
		return o, err
	}
	var err error
	if o.scenarios, err = parseScenarios(*list); err != nil {
		fmt.Fprintln(stderr, err)
		return o, err
	}
	o.sizes = fullSizes
	if o.smoke {
		o.sizes = smokeSizes
	}
	if *s4Streams < 0 {
		err := errors.New("-s4-streams must be 1 or more")
		fmt.Fprintln(stderr, err)
		return o, err
	}
	if *s4Streams > 0 {
		o.sizes.s4Streams = *s4Streams
	}
	if o.runs == 0 {
		o.runs = o.sizes.defaultRuns
	}
	if o.runs < 0 {
		err := errors.New("-runs must be 1 or more")
		fmt.Fprintln(stderr, err)
		return o, err
	}
	return o, nil
}

// run sets everything up, runs the scenarios and reports. Every child is
// killed before it returns; a first SIGINT or SIGTERM stops the runs, and
// should stopping hang, the children are killed within a few seconds
// anyway and the bench exits.
func run(opts options, stdout, stderr io.Writer) error {
	started := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "tincan-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	kids := &children{dir: dir}
	defer kids.killAll()

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer func() {
		signal.Stop(sigs)
		close(sigs)
	}()
	go func() {
		sig, ok := <-sigs
		if !ok {
			return
		}
		fmt.Fprintf(stderr, "bench: %v: stopping and killing the children\n", sig)
		cancel()
		time.Sleep(3 * time.Second)
		kids.killAll()
		os.RemoveAll(dir)
		os.Exit(130)
	}()

	env, err := setUp(ctx, kids, dir, opts, stderr)
	if err != nil {
		return err
	}
	defer env.close()
	rows, err := runAll(ctx, env, opts, stderr)
	if err != nil {
		return err
	}
	env.machine.Pinning = env.pin.describe() + env.pin.check(kids.pids())
	rep := report{Machine: env.machine, Sizes: opts.sizes.describeName, Runs: opts.runs, Rows: rows, ChildPIDs: kids.pids(), Load: describeLoad(opts.sizes)}
	rep.writeMarkdown(stdout, opts.scenarios)
	fmt.Fprintf(stdout, "\nTotal wall time: %s (set-up, %d run(s) of %v).\n", time.Since(started).Round(time.Second), opts.runs, opts.scenarios)
	if opts.jsonPath != "" {
		return rep.writeJSON(opts.jsonPath)
	}
	return nil
}
