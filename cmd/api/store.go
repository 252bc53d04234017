package main

import (
	"context"
	"fmt"
	"log/slog"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/memory"
	redisstore "github.com/tincan-dev/tincan/store/redis"
)

// openStore opens the store cfg asks for: Redis when REDIS_URL is set, in
// the REDIS_MODE it names (see parseRedisTarget), otherwise the embedded
// memory store. It also returns the Redis client the store uses (nil for
// the memory store), for the rate limits to share. The instrument
// functions (metrics, tracing) get the Redis client before its first
// command. The returned close releases the store and whatever it was
// built on.
func openStore(ctx context.Context, cfg Config, logger *slog.Logger, instrument ...func(goredis.UniversalClient) error) (store.Store, goredis.UniversalClient, func() error, error) {
	limits := store.Limits{MaxQueue: cfg.MaxQueueLength, ChannelTTL: cfg.ChannelIdleTTL, IdempotencyWindow: cfg.IdempotencyWindow,
		MaxCollectionMembers: cfg.MaxCollectionMembers, MaxQueueBytes: cfg.MaxQueueBytes, MaxBroadcastBytes: cfg.MaxBroadcastBytes}
	if cfg.RedisURL == "" {
		logger.Warn("using the embedded memory store: nothing is kept across restarts and instances share nothing; set REDIS_URL to use Redis")
		st := memory.New(limits)
		return st, nil, st.Close, nil
	}

	target, err := parseRedisTarget(cfg.RedisMode, cfg.RedisURL)
	if err != nil {
		return nil, nil, nil, err
	}
	client := target.newClient(func(o *goredis.Options) { applyRedisTimeouts(o, cfg) })
	for _, f := range instrument {
		if err := f(client); err != nil {
			_ = client.Close()
			return nil, nil, nil, fmt.Errorf("instrument the redis client: %w", err)
		}
	}
	st, err := untilReachable(ctx, logger, cfg.RedisStartupTimeout, target.String(), func(ctx context.Context) (*redisstore.Store, error) {
		return redisstore.New(ctx, client, redisstore.Options{
			Prefix:       cfg.RedisKeyPrefix,
			Limits:       limits,
			Logger:       logger.With("component", "redis"),
			Timeout:      cfg.RedisTimeout,
			WaitReplicas: cfg.RedisWaitReplicas,
			WaitTimeout:  cfg.RedisWaitTimeout,
			Sentinel:     target.failover,
		})
	})
	if err != nil {
		_ = client.Close()
		return nil, nil, nil, fmt.Errorf("open the redis store (%s): %w", target, err)
	}
	closeAll := func() error {
		// The store first: it stops using the client.
		err := st.Close()
		if cerr := client.Close(); err == nil {
			err = cerr
		}
		return err
	}
	if err := checkEviction(ctx, logger, client, cfg); err != nil {
		_ = closeAll()
		return nil, nil, nil, fmt.Errorf("redis (%s): %w", target, err)
	}
	logger.Info("using the redis store", "mode", target.mode, "addrs", target.addrs(), "prefix", cfg.RedisKeyPrefix)
	logDurability(ctx, logger, client, cfg)
	return st, client, closeAll, nil
}
