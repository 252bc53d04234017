package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Scenario names, in the order they run and are reported. S2X is S2's
// scale-out rows alone (beside the relay and the single instance), to run
// without the rest of S2; S2 has them too.
const (
	s1  = "S1"
	s2  = "S2"
	s2x = "S2X"
	s3  = "S3"
	s4  = "S4"
	s5  = "S5"
	s6  = "S6"
)

var allScenarios = []string{s1, s2, s2x, s3, s4, s5, s6}

// defaultScenarios are what a run picks unless told: every scenario once
// (S2 includes S2X's rows).
var defaultScenarios = []string{s1, s2, s3, s4, s5, s6}

// sizes are a run's loads: the full figures, or a smoke run's.
type sizes struct {
	s1Messages int
	s2Channels int
	s2Messages int
	s3Rate     int // messages a second
	s3Duration time.Duration
	s4Streams  int
	// s4PerSource is how many of S4's streams come from one loopback
	// address; 0 is half the ephemeral ports (streamsPerSource).
	s4PerSource  int
	s5Messages   int
	s6Members    int
	drain        time.Duration
	defaultRuns  int
	describeName string
}

var fullSizes = sizes{
	s1Messages: 20000, s2Channels: 64, s2Messages: 50000,
	s3Rate: 1000, s3Duration: 10 * time.Second,
	s4Streams: 10000, s5Messages: 10000, s6Members: 10000,
	drain: 30 * time.Second, defaultRuns: 3, describeName: "full",
}

var smokeSizes = sizes{
	s1Messages: 300, s2Channels: 8, s2Messages: 400,
	s3Rate: 1000, s3Duration: 300 * time.Millisecond,
	// Streams from three addresses, so that the smoke run goes the way
	// of 100,000.
	s4Streams: 100, s4PerSource: 40, s5Messages: 300, s6Members: 200,
	drain: 10 * time.Second, defaultRuns: 1, describeName: "smoke",
}

// parseScenarios reads -scenarios: a comma-separated subset of
// allScenarios. S2X is dropped when S2, which includes its rows, is
// picked.
func parseScenarios(list string) ([]string, error) {
	var picked []string
	for name := range strings.SplitSeq(list, ",") {
		name = strings.ToUpper(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		if !slices.Contains(allScenarios, name) {
			return nil, fmt.Errorf("unknown scenario %q: pick from %s", name, strings.Join(allScenarios, ","))
		}
		if !slices.Contains(picked, name) {
			picked = append(picked, name)
		}
	}
	if len(picked) == 0 {
		return nil, fmt.Errorf("no scenario picked: pick from %s", strings.Join(allScenarios, ","))
	}
	if slices.Contains(picked, s2) {
		picked = slices.DeleteFunc(picked, func(s string) bool { return s == s2x })
	}
	slices.SortFunc(picked, func(a, b string) int { return slices.Index(allScenarios, a) - slices.Index(allScenarios, b) })
	return picked, nil
}

// flowSpecFor is the flow of a message scenario at the given sizes.
func flowSpecFor(scenario string, z sizes) flowSpec {
	switch scenario {
	case s1:
		return flowSpec{channels: 1, messages: z.s1Messages, drain: z.drain}
	case s2, s2x:
		return flowSpec{channels: z.s2Channels, messages: z.s2Messages, drain: z.drain}
	case s3:
		n := int(z.s3Duration.Seconds() * float64(z.s3Rate))
		return flowSpec{channels: 1, messages: n, interval: time.Second / time.Duration(z.s3Rate), drain: z.drain}
	case s5:
		return flowSpec{channels: 1, messages: z.s5Messages, resumeAfter: z.s5Messages / 2, drain: z.drain}
	}
	panic("not a flow scenario: " + scenario)
}
