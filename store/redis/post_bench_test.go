package redis_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
	redisstore "github.com/tincan-dev/tincan/store/redis"
)

// benchMessage is what the benchmarks post: about 100 bytes of data.
var benchMessage = store.Outgoing{Data: json.RawMessage(`{"seq":1234567,"sent":1732190000123456789,"text":"the quick brown fox jumps over"}`)}

// benchStore opens a store on the package's redis-server for a benchmark,
// with queue bounds no benchmark reaches, closed at the benchmark's end.
func benchStore(b *testing.B) (*redisstore.Store, *goredis.Client) {
	client := shared.Client(b)
	st, err := redisstore.New(context.Background(), client, redisstore.Options{
		Prefix: redistest.Prefix(b),
		Limits: store.Limits{MaxQueue: 1 << 30, MaxQueueBytes: 1 << 40},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	return st, client
}

// benchPair creates a channel for a benchmark, whose messages go from
// port 1 (from) to port 2 (to).
func benchPair(b *testing.B, st *redisstore.Store) (from, to store.Credentials) {
	ch, err := st.CreateChannel(context.Background(), "")
	if err != nil {
		b.Fatal(err)
	}
	return store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}, store.Credentials{PortID: ch.Port2.ID, Token: ch.Port2.Token}
}

// resetStats zeroes Redis's command statistics (CONFIG RESETSTAT), which
// scriptStats reads once the loop is done.
func resetStats(b *testing.B, client *goredis.Client) {
	if err := client.ConfigResetStat(context.Background()).Err(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPost is the Lua post call alone: Store.Post of about 100 bytes
// of data, no transfer list, against the package's redis-server. Besides
// the round trip it reports redis-µs/op, the time Redis's own thread spent
// in the script per post (INFO commandstats of FCALL, EVALSHA and EVAL),
// which is what one post costs the server that every instance shares.
func BenchmarkPost(b *testing.B) {
	ctx := context.Background()
	st, client := benchStore(b)
	from, _ := benchPair(b, st)
	resetStats(b, client)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.Post(ctx, from, benchMessage); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	calls, usec := scriptStats(b, client)
	if calls > 0 {
		b.ReportMetric(usec/calls, "redis-µs/op")
	}
}

// BenchmarkAck is the Lua ack call alone: Store.Ack of one message at a
// time, oldest first, of a queue of b.N messages posted beforehand (the
// queue is left holding the rest, so the ack counts the bytes it frees
// entry by entry). It reports redis-µs/op like BenchmarkPost.
func BenchmarkAck(b *testing.B) {
	ctx := context.Background()
	st, client := benchStore(b)
	from, to := benchPair(b, st)
	ids := make([]store.EventID, b.N)
	for i := range ids {
		var err error
		if ids[i], err = st.Post(ctx, from, benchMessage); err != nil {
			b.Fatal(err)
		}
	}
	resetStats(b, client)
	b.ReportAllocs()
	b.ResetTimer()
	for _, id := range ids {
		if err := st.Ack(ctx, to, id); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	calls, usec := scriptStats(b, client)
	if calls > 0 {
		b.ReportMetric(usec/calls, "redis-µs/op")
	}
}

// BenchmarkPostAck is one delivered message as cmd/bench's S1 makes it: a
// post, then the reader's ack of it, so that the queue is empty between
// messages. redis-µs/op is Redis's time for both calls together.
func BenchmarkPostAck(b *testing.B) {
	ctx := context.Background()
	st, client := benchStore(b)
	from, to := benchPair(b, st)
	resetStats(b, client)
	b.ReportAllocs()
	for b.Loop() {
		id, err := st.Post(ctx, from, benchMessage)
		if err != nil {
			b.Fatal(err)
		}
		if err := st.Ack(ctx, to, id); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	_, usec := scriptStats(b, client)
	b.ReportMetric(usec/float64(b.N), "redis-µs/op")
}

// BenchmarkPostParallel is BenchmarkPost from 64 goroutines at once, each
// on a channel of its own (as S2 of cmd/bench), with group commit
// (batch.go) on and off. Besides redis-µs/op it reports trips/op, the
// round trips the store sent per post, and redis-cpu-µs/op, the CPU time
// of the whole redis-server process per post (INFO cpu: the scripts, and
// reading and answering the commands).
func BenchmarkPostParallel(b *testing.B) {
	for _, mode := range []struct {
		name     string
		inFlight int
	}{{"batched", 0}, {"unbatched", 1 << 20}} {
		b.Run(mode.name, func(b *testing.B) { benchPostParallel(b, mode.inFlight) })
	}
}

func benchPostParallel(b *testing.B, inFlight int) {
	ctx := context.Background()
	st, client := benchStore(b)
	if inFlight > 0 {
		redisstore.SetBatchInFlight(st, inFlight)
	}
	// 64 goroutines (a few more where GOMAXPROCS does not divide 64).
	par := (64 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0)
	channels := par * runtime.GOMAXPROCS(0)
	from := make(chan store.Credentials, channels)
	for range channels {
		ch, err := st.CreateChannel(ctx, "")
		if err != nil {
			b.Fatal(err)
		}
		from <- store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}
	}
	resetStats(b, client)
	trips, cpu := redisstore.RoundTrips(st), redisCPU(b, client)
	b.ReportAllocs()
	b.SetParallelism(par)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		port := <-from
		for pb.Next() {
			if _, err := st.Post(ctx, port, benchMessage); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(redisstore.RoundTrips(st)-trips)/float64(b.N), "trips/op")
	b.ReportMetric((redisCPU(b, client)-cpu)*1e6/float64(b.N), "redis-cpu-µs/op")
	calls, usec := scriptStats(b, client)
	if calls > 0 {
		b.ReportMetric(usec/calls, "redis-µs/op")
	}
}

// scriptStats reads how many script calls (FCALL, EVALSHA, EVAL) Redis
// served since the last CONFIG RESETSTAT and the microseconds it spent in
// them.
func scriptStats(b *testing.B, client *goredis.Client) (calls, usec float64) {
	info, err := client.Info(context.Background(), "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(info) {
		name, rest, _ := strings.Cut(strings.TrimSpace(line), ":")
		if name != "cmdstat_fcall" && name != "cmdstat_evalsha" && name != "cmdstat_eval" {
			continue
		}
		for field := range strings.SplitSeq(rest, ",") {
			k, v, _ := strings.Cut(field, "=")
			n, _ := strconv.ParseFloat(v, 64)
			switch k {
			case "calls":
				calls += n
			case "usec":
				usec += n
			}
		}
	}
	return calls, usec
}

// redisCPU is the CPU time, in seconds, the server behind client has used
// (INFO cpu: used_cpu_user + used_cpu_sys).
func redisCPU(b *testing.B, client *goredis.Client) float64 {
	info, err := client.Info(context.Background(), "cpu").Result()
	if err != nil {
		b.Fatal(err)
	}
	total := 0.0
	for line := range strings.Lines(info) {
		k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
		if k == "used_cpu_user" || k == "used_cpu_sys" {
			n, _ := strconv.ParseFloat(v, 64)
			total += n
		}
	}
	return total
}
