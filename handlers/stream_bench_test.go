package handlers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/memory"
	redisstore "github.com/tincan-dev/tincan/store/redis"
)

// discardStream is a ResponseWriter that flushes into nothing, counting
// its writes and flushes.
type discardStream struct {
	h               http.Header
	writes, flushes int
	bytes           int
}

func (d *discardStream) Header() http.Header {
	if d.h == nil {
		d.h = http.Header{}
	}
	return d.h
}
func (d *discardStream) WriteHeader(int) {}
func (d *discardStream) Write(p []byte) (int, error) {
	d.writes++
	d.bytes += len(p)
	return len(p), nil
}
func (d *discardStream) Flush() { d.flushes++ }

// SetWriteDeadline makes the stream's deadlines work as on a connection,
// so that ResponseController's "not supported" error is not counted.
func (d *discardStream) SetWriteDeadline(time.Time) error { return nil }

// countingStore counts the reads of the store it wraps.
type countingStore struct {
	store.Store
	reads int
}

func (c *countingStore) Read(ctx context.Context, port store.Credentials, after store.EventID, limit store.ReadLimit) (store.Batch, error) {
	c.reads++
	return c.Store.Read(ctx, port, after, limit)
}

// benchMessage is a message of about 100 bytes, like the benchmark's.
const benchMessage = `{"seq":12345,"sent_ns":1732190000123456789,"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}`

// BenchmarkStreamDeliverBatch measures a stream delivering the messages
// waiting at its port (100, a whole read's worth, and 10), as after one
// doorbell ring: the reads (through the store) and the framing and
// writing of every event, with the flush. Each op delivers the same
// messages from the start.
func BenchmarkStreamDeliverBatch(b *testing.B) {
	b.Run("memory", func(b *testing.B) {
		st := memory.New(store.Limits{})
		b.Cleanup(func() { _ = st.Close() })
		benchDeliverBatches(b, st)
	})
	b.Run("redis", func(b *testing.B) {
		srv := redistest.Start(b)
		st, err := redisstore.New(context.Background(), srv.Client(b), redisstore.Options{
			Prefix: redistest.Prefix(b),
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = st.Close() })
		benchDeliverBatches(b, st)
	})
}

func benchDeliverBatches(b *testing.B, st store.Store) {
	for _, n := range []int{100, 10} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) { benchDeliverBatch(b, st, n) })
	}
}

func benchDeliverBatch(b *testing.B, st store.Store, n int) {
	ctx := context.Background()
	ch, err := st.CreateChannel(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	from := store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}
	to := store.Credentials{PortID: ch.Port2.ID, Token: ch.Port2.Token}
	for range n {
		if _, err := st.Post(ctx, from, store.Outgoing{Data: []byte(benchMessage)}); err != nil {
			b.Fatal(err)
		}
	}
	counted := &countingStore{Store: st}
	s := NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), counted, Config{KeepAlive: time.Hour})
	r := httptest.NewRequest(http.MethodGet, "/ports/"+to.PortID+"/events", nil)
	w := &discardStream{}
	st1 := newStream(s, r, []store.Credentials{to}, []store.EventID{{}})
	st1.start(w)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		st1.ports[0].after = store.EventID{}
		if st1.readAndDeliver() {
			b.Fatal("the stream ended")
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(w.flushes-1)/float64(b.N), "flushes/op")
	b.ReportMetric(float64(counted.reads)/float64(b.N), "reads/op")
	b.ReportMetric(float64(w.bytes)/float64(b.N), "wire-B/op")
}

// BenchmarkEncodeMessageEvent measures framing one message as the stream
// sends it: its JSON and the SSE event around it.
func BenchmarkEncodeMessageEvent(b *testing.B) {
	s := NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), memory.New(store.Limits{}), Config{})
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	w := &discardStream{}
	id, _ := store.ParseEventID("1732190000123-7")
	st := newStream(s, r, []store.Credentials{{PortID: "01JD0000000000000000000000"}}, []store.EventID{{}})
	st.start(w)
	m := store.Message{ID: id, Data: []byte(benchMessage), Source: "01JD0000000000000000000001", SentAt: time.UnixMilli(1732190000123)}
	batch := store.Batch{Messages: []store.Message{m}, State: store.StateOpen}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		st.ports[0].after = store.EventID{}
		if _, ended := st.deliver(st.ports[0], batch); ended {
			b.Fatal("the stream ended")
		}
	}
	b.StopTimer()
	if w.bytes == 0 {
		b.Fatal(fmt.Errorf("nothing written"))
	}
}
