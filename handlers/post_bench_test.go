package handlers

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/memory"
	redisstore "github.com/tincan-dev/tincan/store/redis"
)

// benchPostBody is a post of about 100 bytes, the size cmd/bench sends.
const benchPostBody = `{"data":{"seq":1234567,"sent":1732190000123456789,"text":"the quick brown fox jumps over"}}`

// benchLimits let a benchmark post to one port as often as it likes.
var benchLimits = store.Limits{MaxQueue: 1 << 30}

// benchServer is the API as cmd/api runs it by default (text log at INFO,
// no rate limiter, no CORS), over st.
func benchServer(st store.Store) *Server {
	logger := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	return NewServer(logger, st, Config{})
}

// benchChannel creates a channel on st and returns its first port.
func benchChannel(b *testing.B, st store.Store) store.PortCredentials {
	b.Helper()
	ch, err := st.CreateChannel(context.Background(), "")
	if err != nil {
		b.Fatalf("create channel: %v", err)
	}
	return ch.Port1
}

// benchRedisStore is a Redis store on a private redis-server.
func benchRedisStore(b *testing.B) store.Store {
	b.Helper()
	srv := redistest.Start(b)
	st, err := redisstore.New(context.Background(), srv.Client(b), redisstore.Options{
		Prefix: redistest.Prefix(b),
		Limits: benchLimits,
		Logger: slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		b.Fatalf("redis store: %v", err)
	}
	b.Cleanup(func() { _ = st.Close() })
	return st
}

// BenchmarkDecodePost is reading a post's JSON body into a store.Outgoing.
func BenchmarkDecodePost(b *testing.B) {
	s := benchServer(memory.New(benchLimits))
	body := []byte(benchPostBody)
	rd := bytes.NewReader(body)
	r := httptest.NewRequest(http.MethodPost, "/ports/x/messages", nil)
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	r.ContentLength = int64(len(body))
	for b.Loop() {
		rd.Reset(body)
		r.Body = io.NopCloser(rd)
		msg, _, err := s.readMessage(w, r, false)
		if err != nil || len(msg.Data) == 0 {
			b.Fatalf("decode: %v", err)
		}
	}
}

// BenchmarkPostServeHTTP is the whole POST handler, middleware included,
// called directly on the memory store: no network and no client, so that
// the allocations counted are the server's own.
func BenchmarkPostServeHTTP(b *testing.B) {
	benchPostServeHTTP(b, slog.LevelInfo)
}

// BenchmarkPostServeHTTPNoLog is BenchmarkPostServeHTTP with the request
// log off (LOG_LEVEL=warn): the difference is what the log line costs.
func BenchmarkPostServeHTTPNoLog(b *testing.B) {
	benchPostServeHTTP(b, slog.LevelWarn)
}

func benchPostServeHTTP(b *testing.B, level slog.Level) {
	st := memory.New(benchLimits)
	b.Cleanup(func() { _ = st.Close() })
	s := benchServer(st)
	s.logger = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: level}))
	p := benchChannel(b, st)
	body := []byte(benchPostBody)
	rd := bytes.NewReader(body)
	r := httptest.NewRequest(http.MethodPost, "/ports/"+p.ID+"/messages", nil)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+p.Token)
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		r.Body = io.NopCloser(rd)
		r.ContentLength = int64(len(body))
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusCreated {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// BenchmarkPostHTTP is a post over real loopback HTTP, on a keep-alive
// connection, against each store. The figures include the client's work.
func BenchmarkPostHTTP(b *testing.B) {
	b.Run("memory", func(b *testing.B) {
		st := memory.New(benchLimits)
		b.Cleanup(func() { _ = st.Close() })
		benchPostHTTP(b, st)
	})
	b.Run("redis", func(b *testing.B) {
		benchPostHTTP(b, benchRedisStore(b))
	})
}

func benchPostHTTP(b *testing.B, st store.Store) {
	s := benchServer(st)
	ts := httptest.NewServer(s)
	b.Cleanup(func() {
		s.CloseStreams()
		ts.Close()
	})
	p := benchChannel(b, st)
	url := ts.URL + "/ports/" + p.ID + "/messages"
	body := []byte(benchPostBody)
	rd := bytes.NewReader(body)
	hc := ts.Client()
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		req, err := http.NewRequest(http.MethodPost, url, rd)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+p.Token)
		res, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
}
