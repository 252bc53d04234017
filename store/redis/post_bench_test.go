package redis_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
	redisstore "github.com/tincan-dev/tincan/store/redis"
)

// BenchmarkPost is the Lua post call alone: Store.Post of about 100 bytes
// of data, no transfer list, against the package's redis-server. Besides
// the round trip it reports redis-µs/op, the time Redis's own thread spent
// in the script per post (INFO commandstats of FCALL, EVALSHA and EVAL),
// which is what one post costs the server that every instance shares.
func BenchmarkPost(b *testing.B) {
	ctx := context.Background()
	client := shared.Client(b)
	st, err := redisstore.New(ctx, client, redisstore.Options{
		Prefix: redistest.Prefix(b),
		Limits: store.Limits{MaxQueue: 1 << 30},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ch, err := st.CreateChannel(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	from := store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}
	msg := store.Outgoing{Data: json.RawMessage(`{"seq":1234567,"sent":1732190000123456789,"text":"the quick brown fox jumps over"}`)}
	if err := client.ConfigResetStat(ctx).Err(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.Post(ctx, from, msg); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
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
