package main

import (
	"slices"
	"time"
)

// tally counts what one reader got from one channel, against what its
// poster had acknowledged.
type tally struct {
	seen      []bool
	acked     []bool
	unique    int
	dup       int
	outOfOrd  int
	maxSeq    int
	latencies []time.Duration
	lastRecv  time.Duration
	// unparsed counts message events without a payload of ours.
	unparsed int
}

func newTally(messages int) *tally {
	return &tally{seen: make([]bool, messages), acked: make([]bool, messages), maxSeq: -1, latencies: make([]time.Duration, 0, messages)}
}

// record counts one received message: a repeat is a duplicate; one older
// than the newest seen (and not a repeat) is out of order.
func (t *tally) record(seq int, sent, at time.Duration) {
	if seq < 0 || seq >= len(t.seen) {
		t.unparsed++
		return
	}
	if t.seen[seq] {
		t.dup++
		return
	}
	t.seen[seq] = true
	t.unique++
	if seq < t.maxSeq {
		t.outOfOrd++
	} else {
		t.maxSeq = seq
	}
	t.latencies = append(t.latencies, at-sent)
	t.lastRecv = at
}

// lost counts messages whose post was acknowledged but which never came.
func (t *tally) lost() int {
	n := 0
	for i, a := range t.acked {
		if a && !t.seen[i] {
			n++
		}
	}
	return n
}

// percentile of sorted durations, q in [0,1], in milliseconds.
func percentile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q * float64(len(sorted)-1))
	return ms(sorted[i])
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// median of xs (0 for none); xs is not changed.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
