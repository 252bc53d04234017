package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
)

// row is one scenario's figures on one target in one run.
type row struct {
	Scenario string      `json:"scenario"`
	Target   string      `json:"target"`
	Run      int         `json:"run"`
	Flow     *flowResult `json:"flow,omitempty"`
	Idle     *idleResult `json:"idle,omitempty"`
	// Broadcast is S6's.
	Broadcast *broadcastResult `json:"broadcast,omitempty"`
}

// targetsFor lists who runs a scenario, the relay first. S1 and S2 run on
// the api on its shipped defaults too, S1 with readers that acknowledge
// at most every pacedAckEvery and with the limits on every request on,
// S2 scaled out (two instances on one Redis, one on a Cluster) beside
// the single instance; S2X runs those rows alone, with the relay and the
// single instance to compare. The relay has no S4: a blocking XREAD per
// stream needs a Redis connection each, so its idle cost is Redis's, not a
// server's.
func (e *benchEnv) targetsFor(scenario string) []*target {
	var ts []*target
	switch scenario {
	case s1:
		ts = []*target{e.relay, e.apiRedis, e.apiMemory, e.apiRedisShipped, e.apiMemoryShipped, e.apiRedisRate, e.apiRedisPaced, e.apiMemoryPaced}
	case s2:
		ts = []*target{e.relay, e.apiRedis, e.apiRedisTwo, e.apiRedisCluster, e.apiMemory, e.apiRedisShipped, e.apiMemoryShipped}
	case s2x:
		ts = []*target{e.relay, e.apiRedis, e.apiRedisTwo, e.apiRedisCluster}
	case s4, s6:
		ts = []*target{e.apiRedis, e.apiMemory}
	default:
		ts = []*target{e.relay, e.apiRedis, e.apiMemory}
	}
	return slices.DeleteFunc(ts, func(t *target) bool { return t == nil })
}

// runAll runs every picked scenario on each of its targets, opts.runs
// times; targets take turns within a run, so that the machine's noise
// falls on all of them alike.
func runAll(ctx context.Context, e *benchEnv, opts options, log io.Writer) ([]row, error) {
	var rows []row
	for r := 1; r <= opts.runs; r++ {
		for _, sc := range opts.scenarios {
			for _, t := range e.targetsFor(sc) {
				fmt.Fprintf(log, "bench: run %d/%d %s on %s\n", r, opts.runs, sc, t.name)
				if err := e.pin.pinBench(); err != nil {
					return nil, err
				}
				rw := row{Scenario: sc, Target: t.name, Run: r}
				if sc == s6 {
					res, err := runBroadcast(ctx, t, e.cl, e.rdb, opts.sizes.s6Members)
					if err != nil {
						return nil, fmt.Errorf("%s on %s: %w", sc, t.name, err)
					}
					rw.Broadcast = &res
				} else if sc == s4 {
					res, err := runIdle(ctx, t, e.cl, e.rdb, e.s4Streams, e.s4PerSource, log)
					if err != nil {
						return nil, fmt.Errorf("%s on %s: %w", sc, t.name, err)
					}
					if err := t.waitStreamsGone(ctx, e.cl, res.GoroutinesBefore); err != nil {
						return nil, err
					}
					res.Asked = opts.sizes.s4Streams
					rw.Idle = &res
				} else {
					spec := flowSpecFor(sc, opts.sizes)
					if opts.profileDir != "" {
						spec.profile = filepath.Join(opts.profileDir, safeName(fmt.Sprintf("%s-%s-run%d", sc, t.name, r)))
					}
					res, err := runFlow(ctx, t, e.cl, spec)
					if err != nil {
						return nil, fmt.Errorf("%s on %s: %w", sc, t.name, err)
					}
					if res.PostErrors > 0 {
						fmt.Fprintf(log, "bench: %s on %s: %d posts failed, the first with: %s; %s\n", sc, t.name, res.PostErrors, res.FirstPostError, res.stallNote())
					}
					rw.Flow = &res
				}
				rows = append(rows, rw)
			}
		}
	}
	return rows, nil
}
