package redis_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
	redisstore "github.com/tincan-dev/tincan/store/redis"
)

// BenchmarkPost is the Lua post call alone: Store.Post of about 100 bytes
// of data, no transfer list, against the package's redis-server.
func BenchmarkPost(b *testing.B) {
	ctx := context.Background()
	st, err := redisstore.New(ctx, shared.Client(b), redisstore.Options{
		Prefix: redistest.Prefix(b),
		Limits: store.Limits{MaxQueue: 1 << 30},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ch, err := st.CreateChannel(ctx)
	if err != nil {
		b.Fatal(err)
	}
	from := store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}
	msg := store.Outgoing{Data: json.RawMessage(`{"seq":1234567,"sent":1732190000123456789,"text":"the quick brown fox jumps over"}`)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.Post(ctx, from, msg); err != nil {
			b.Fatal(err)
		}
	}
}
