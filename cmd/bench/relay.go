package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// The relay is the yardstick: the thinnest honest Redis relay of messages,
// doing per message what any Redis-backed service must at least do. A post
// is one XADD to the channel's stream key (one round trip); a reader is an
// XREAD BLOCK loop on a connection of its own, each entry written as an SSE
// event carrying its stream id, so Last-Event-ID resumes after it. No
// auth, no Lua, no acknowledgement, no limits. It speaks the api's routes
// (POST /channels, /ports/{id}/messages, /ports/{id}/events) so that the
// same load drives both; both "ports" of a relay channel are the channel.

// relayReadBatch is how many entries one XREAD may return; relayBlock is
// how long one waits, so that a reader whose client left ends soon (a
// blocked read does not see the request's end).
const (
	relayReadBatch = 1000
	relayBlock     = 2 * time.Second
)

// runRelay serves the relay on addr against the Redis at redisAddr until
// SIGINT or SIGTERM.
func runRelay(addr, redisAddr string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// One connection per waiting reader plus the posters': the pool must
	// not make readers queue for connections.
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr, PoolSize: 4096, ReadTimeout: -1})
	defer rdb.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("POST /channels", relayCreate)
	mux.HandleFunc("POST /ports/{id}/messages", func(w http.ResponseWriter, r *http.Request) { relayPost(rdb, w, r) })
	mux.HandleFunc("GET /ports/{id}/events", func(w http.ResponseWriter, r *http.Request) { relayEvents(rdb, w, r) })
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("relay: listen: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("relay: %w", err)
	}
	return nil
}

// relayCreate names a new channel; nothing is stored until a post.
func relayCreate(w http.ResponseWriter, _ *http.Request) {
	var b [12]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `{"port1":{"id":%q,"token":""},"port2":{"id":%q,"token":""}}`, id, id)
}

func relayKey(id string) string { return "relay:" + id }

// relayPost appends the body to the channel's stream: one XADD.
func relayPost(rdb *redis.Client, w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id, err := rdb.XAdd(r.Context(), &redis.XAddArgs{Stream: relayKey(r.PathValue("id")), Values: []any{"d", body}}).Result()
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, id)
}

// relayEvents streams the channel's entries after Last-Event-ID (or from
// the start), one blocking XREAD after another, one flush per batch.
func relayEvents(rdb *redis.Client, w http.ResponseWriter, r *http.Request) {
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = "0-0"
	}
	ctx := r.Context()
	// A connection of its own, so that a blocked read holds only it.
	conn := rdb.Conn()
	defer conn.Close()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	flusher := w.(http.Flusher)
	flusher.Flush()
	key := relayKey(r.PathValue("id"))
	for {
		streams, err := conn.XRead(ctx, &redis.XReadArgs{Streams: []string{key, last}, Count: relayReadBatch, Block: relayBlock}).Result()
		if err != nil {
			if errors.Is(err, redis.Nil) && ctx.Err() == nil {
				continue
			}
			return
		}
		for _, s := range streams {
			for _, m := range s.Messages {
				d, _ := m.Values["d"].(string)
				if _, err := fmt.Fprintf(w, "id: %s\ndata: %s\n\n", m.ID, d); err != nil {
					return
				}
				last = m.ID
			}
		}
		flusher.Flush()
	}
}
