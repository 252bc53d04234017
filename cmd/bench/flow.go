package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// flowSpec is one message flow: channels, each with one sequential poster
// over keep-alive and one SSE reader that acknowledges what it reads (on
// the api).
type flowSpec struct {
	channels int
	messages int // in all, spread over the channels
	// interval, when set, schedules message i of a channel at start+i*interval
	// and measures latency from that scheduled time (no coordinated
	// omission); zero posts as fast as answers come.
	interval time.Duration
	// resumeAfter, when set, makes each reader drop its connection after
	// that many messages and reconnect with Last-Event-ID.
	resumeAfter int
	// drain bounds the wait for the last messages once posting ended.
	drain time.Duration
	// profile, when set, names the files of the server's CPU profiles
	// taken from the first post to the last receipt (profileWhile).
	profile string
}

// flowResult is what one flow measured, over all its channels.
type flowResult struct {
	Messages    int     `json:"messages"`
	PostedPerS  float64 `json:"posted_per_s"`
	DeliverPerS float64 `json:"delivered_per_s"`
	P50ms       float64 `json:"p50_ms"`
	P99ms       float64 `json:"p99_ms"`
	P999ms      float64 `json:"p999_ms"`
	MaxMs       float64 `json:"max_ms"`
	Lost        int     `json:"lost"`
	Duplicated  int     `json:"duplicated"`
	OutOfOrder  int     `json:"out_of_order"`
	PostErrors  int     `json:"post_errors"`
	// FirstPostError is what the first failed post said, if one failed.
	FirstPostError string `json:"first_post_error,omitempty"`
	Reconnects     int    `json:"reconnects"`
	ReadErrors     int    `json:"read_errors"`
	Unrecognised   int    `json:"unrecognised"`
	// Acks counts the acknowledgements the readers sent (none to the
	// relay), AckErrors those that failed, and LeftQueued the messages
	// still queued at the reading ports once the readers were done: all
	// read and acknowledged is 0.
	Acks       int `json:"acks"`
	AckErrors  int `json:"ack_errors"`
	LeftQueued int `json:"left_queued"`
	// CPU time per delivered message, from the first post to the last
	// receipt, of the server, its redis-server and the bench (the load).
	ServerCPUus float64 `json:"server_cpu_us_per_msg"`
	RedisCPUus  float64 `json:"redis_cpu_us_per_msg"`
	BenchCPUus  float64 `json:"bench_cpu_us_per_msg"`
	// RedisCmdUs is the redis-servers' time in commands per delivered
	// message (INFO commandstats), part of RedisCPUus.
	RedisCmdUs float64 `json:"redis_commands_us_per_msg"`
	// RunQueueWaitMs is how long, in all, the servers and redis-servers
	// waited for a CPU while runnable during the flow (-1: unknown), and
	// RedisSlowestMs the longest a Redis command took, 0 if none took
	// latencyThresholdMs: a flow that starved has the one large and the
	// other small (stall.go).
	RunQueueWaitMs float64 `json:"run_queue_wait_ms"`
	RedisSlowestMs int64   `json:"redis_slowest_command_ms"`
}

// clients are the bench's HTTP clients: one keeping connections alive for
// posters, one for streams.
type clients struct {
	post, stream *http.Client
}

// runFlow runs spec against t and tallies it.
func runFlow(ctx context.Context, t *target, cl *clients, spec flowSpec) (flowResult, error) {
	chans := make([]channel, spec.channels)
	for i := range chans {
		ch, err := t.newChannel(ctx, cl.post, i)
		if err != nil {
			return flowResult{}, err
		}
		chans[i] = ch
	}
	perChan := make([]int, spec.channels)
	for i := range spec.messages {
		perChan[i%spec.channels]++
	}
	tallies := make([]*tally, spec.channels)
	streams := make([]*sseStream, spec.channels)
	ackers := make([]*acker, spec.channels)
	for i, ch := range chans {
		tallies[i] = newTally(perChan[i])
		if t.acks {
			ackers[i] = newAcker(t, cl.post, ch)
		}
		s, err := openStream(ctx, cl.stream, ch.eventsURL, ch.eventsToken, "")
		if err != nil {
			for _, s := range streams[:i] {
				s.close()
			}
			return flowResult{}, fmt.Errorf("%s: %w", t.name, err)
		}
		streams[i] = s
	}

	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	var res flowResult
	var reconnects, readErrs atomic.Int64
	var readers sync.WaitGroup
	for i := range chans {
		readers.Go(func() {
			n, err := readChannel(readCtx, cl, chans[i], streams[i], tallies[i], ackers[i], spec.resumeAfter)
			reconnects.Add(int64(n))
			if err != nil && readCtx.Err() == nil {
				readErrs.Add(1)
			}
		})
	}

	if err := resetLatency(ctx, t.redis); err != nil {
		return flowResult{}, err
	}
	cpuBefore, err := measureCPU(ctx, t)
	if err != nil {
		return flowResult{}, err
	}
	stopProfiling := profileWhile(ctx, t, spec.profile)
	start := now()
	var postErrs atomic.Int64
	var firstErr firstError
	var posters sync.WaitGroup
	for i := range chans {
		posters.Go(func() {
			postErrs.Add(int64(postChannel(ctx, cl, chans[i], tallies[i], start, spec.interval, &firstErr)))
		})
	}
	posters.Wait()
	postEnd := now()

	readersDone := make(chan struct{})
	go func() { readers.Wait(); close(readersDone) }()
	select {
	case <-readersDone:
	case <-time.After(spec.drain):
		stopReading()
		<-readersDone
	case <-ctx.Done():
		stopReading()
		<-readersDone
		return flowResult{}, ctx.Err()
	}
	cpuAfter, err := measureCPU(ctx, t)
	if err != nil {
		return flowResult{}, err
	}
	if err := stopProfiling(); err != nil {
		return flowResult{}, fmt.Errorf("%s: profile: %w", t.name, err)
	}

	var lat []time.Duration
	var lastRecv time.Duration
	for _, tl := range tallies {
		res.Messages += tl.unique
		res.Lost += tl.lost()
		res.Duplicated += tl.dup
		res.OutOfOrder += tl.outOfOrd
		res.Unrecognised += tl.unparsed
		lat = append(lat, tl.latencies...)
		lastRecv = max(lastRecv, tl.lastRecv)
	}
	slices.Sort(lat)
	for i, a := range ackers {
		if a == nil {
			continue
		}
		res.Acks += a.acks
		res.AckErrors += a.errs
		n, err := t.queued(ctx, cl.post, chans[i])
		if err != nil {
			return flowResult{}, err
		}
		res.LeftQueued += n
	}
	res.PostErrors = int(postErrs.Load())
	res.FirstPostError = firstErr.text()
	res.Reconnects = int(reconnects.Load())
	res.ReadErrors = int(readErrs.Load())
	res.PostedPerS = float64(spec.messages-res.PostErrors) / (postEnd - start).Seconds()
	if lastRecv > start {
		res.DeliverPerS = float64(res.Messages) / (lastRecv - start).Seconds()
	}
	res.P50ms, res.P99ms, res.P999ms = percentile(lat, 0.50), percentile(lat, 0.99), percentile(lat, 0.999)
	if len(lat) > 0 {
		res.MaxMs = ms(lat[len(lat)-1])
	}
	res.setCPU(cpuBefore, cpuAfter)
	if res.RedisSlowestMs, err = slowestCommand(ctx, t.redis); err != nil {
		return flowResult{}, err
	}
	return res, nil
}

// postChannel posts tl's messages in order and marks the acknowledged
// ones. It returns how many posts failed.
func postChannel(ctx context.Context, cl *clients, ch channel, tl *tally, start time.Duration, interval time.Duration, first *firstError) int {
	var buf []byte
	fails := 0
	for seq := range tl.acked {
		ts := now()
		if interval > 0 {
			ts = start + time.Duration(seq)*interval
			if wait := ts - now(); wait > 0 {
				time.Sleep(wait)
			}
		}
		buf = makePayload(buf, seq, ts)
		if err := post(ctx, cl.post, ch, buf); err != nil {
			if ctx.Err() != nil {
				return fails + len(tl.acked) - seq
			}
			fails++
			first.keep(err)
			continue
		}
		tl.acked[seq] = true
	}
	return fails
}

// readChannel reads s until every message of tl came or ctx ends, and
// has a (nil for none) acknowledge what it read. With resumeAfter set it
// drops the connection once, after that many messages, and reconnects
// with the last id it saw. It returns how many times it reconnected.
func readChannel(ctx context.Context, cl *clients, ch channel, s *sseStream, tl *tally, a *acker, resumeAfter int) (int, error) {
	if a != nil {
		stopAcking := a.start(ctx)
		defer stopAcking()
	}
	stop := context.AfterFunc(ctx, func() { s.close() })
	defer func() { stop(); s.close() }()
	reconnects := 0
	got := 0
	var lastID string
	for tl.unique < len(tl.seen) {
		id, data, err := s.next()
		if err != nil {
			return reconnects, err
		}
		at := now()
		got++
		lastID = string(id)
		if a != nil {
			a.read(lastID)
		}
		seq, sent, ok := parsePayload(data)
		if !ok {
			tl.unparsed++
			continue
		}
		tl.record(seq, sent, at)
		if resumeAfter > 0 && got == resumeAfter && tl.unique < len(tl.seen) {
			stop()
			s.close()
			s2, err := openStream(ctx, cl.stream, ch.eventsURL, ch.eventsToken, lastID)
			if err != nil {
				return reconnects, err
			}
			s = s2
			stop = context.AfterFunc(ctx, func() { s2.close() })
			reconnects++
		}
	}
	return reconnects, nil
}

// firstError keeps the first error it is given, from any goroutine.
type firstError struct {
	once sync.Once
	err  error
}

func (f *firstError) keep(err error) { f.once.Do(func() { f.err = err }) }

func (f *firstError) text() string {
	if f.err == nil {
		return ""
	}
	return f.err.Error()
}
