package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/store"
	redisstore "github.com/tincan-dev/tincan/store/redis"
)

// Start-up waits between attempts to reach Redis: doubling, capped.
const (
	startupFirstRetry = 100 * time.Millisecond
	startupMaxRetry   = 5 * time.Second
)

// applyRedisTimeouts bounds every dial, read and write of the client by
// REDIS_TIMEOUT, and lets a request's deadline reach the socket, so that a
// Redis that stops answering costs a request REDIS_TIMEOUT, never more. A
// read waits for replicas as well when REDIS_WAIT_REPLICAS asks it to.
func applyRedisTimeouts(opt *goredis.Options, cfg Config) {
	opt.DialTimeout = cfg.RedisTimeout
	opt.WriteTimeout = cfg.RedisTimeout
	opt.ReadTimeout = cfg.RedisTimeout
	if cfg.RedisWaitReplicas > 0 {
		opt.ReadTimeout += cfg.RedisWaitTimeout
	}
	opt.PoolTimeout = cfg.RedisTimeout
	opt.ContextTimeoutEnabled = true
}

// untilReachable calls open until it succeeds, fails for a reason other
// than an unreachable store (a wrong password, a schema newer than this
// build: waiting would not help), ctx ends, or limit has passed. A
// service started together with its Redis, or while Redis restarts, then
// comes up by itself instead of exiting at once; each wait is logged with
// its reason, so an operator sees why nothing listens yet.
func untilReachable[T any](ctx context.Context, logger *slog.Logger, limit time.Duration, addr string, open func(context.Context) (T, error)) (T, error) {
	giveUp := time.Now().Add(limit)
	wait := startupFirstRetry
	for {
		// An attempt ends at the limit too: the client's own retries of a
		// refused connection could otherwise outlast it by a second.
		attempt, cancel := context.WithDeadline(ctx, giveUp)
		v, err := open(attempt)
		expired := attempt.Err() != nil
		cancel()
		if err == nil || ctx.Err() != nil || (!expired && !errors.Is(err, store.ErrUnavailable)) {
			return v, err
		}
		left := time.Until(giveUp)
		if left <= 0 || expired {
			return v, fmt.Errorf("redis at %s still unreachable after %v (REDIS_STARTUP_TIMEOUT): %w", addr, limit, err)
		}
		wait = min(wait, left)
		logger.Warn("waiting for redis before serving", "addr", addr, "err", err, "retry_in", wait, "gives_up_in", left.Round(time.Second))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return v, fmt.Errorf("stopped while waiting for redis at %s: %w", addr, err)
		case <-t.C:
		}
		wait = min(2*wait, startupMaxRetry)
	}
}

// checkEviction refuses a Redis whose maxmemory-policy deletes keys when
// it is full (every primary of a Cluster is read): every tincan key has a
// TTL, so even a volatile-* policy deletes acknowledged messages, and
// nothing would say so. REDIS_ALLOW_EVICTION=true turns the refusal into a
// warning. A policy that cannot be read (CONFIG renamed, an ACL without
// +config) is warned about, not refused: the store's watcher still counts
// the keys Redis evicts.
func checkEviction(ctx context.Context, logger *slog.Logger, client goredis.UniversalClient, cfg Config) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.RedisTimeout)
	defer cancel()
	const fix = "set maxmemory-policy noeviction on every Redis node (a full Redis then refuses writes, which tincan answers 503)"
	policies, err := redisstore.ReadEvictionPolicy(ctx, client)
	if err != nil {
		logger.Warn("redis maxmemory-policy: unknown, the cluster's primaries could not be listed; "+fix, "err", err)
		return nil
	}
	var evicting []string
	for _, p := range policies {
		switch {
		case p.Err != nil:
			logger.Warn("redis maxmemory-policy: unknown, CONFIG GET refused; make sure it is noeviction: under any other policy Redis deletes acknowledged messages when full",
				"addr", p.Addr, "err", p.Err)
		case p.Evicts():
			evicting = append(evicting, p.Addr+" ("+p.Policy+")")
		}
	}
	if len(evicting) == 0 {
		return nil
	}
	if cfg.RedisAllowEviction {
		logger.Warn("redis evicts keys when full, and REDIS_ALLOW_EVICTION=true lets it: acknowledged messages can vanish without a word to their clients; "+fix,
			"evicting", evicting)
		return nil
	}
	return fmt.Errorf("redis evicts keys when full: %s. Every tincan key has a TTL, so even volatile-* policies delete acknowledged messages; %s, or set REDIS_ALLOW_EVICTION=true to start anyway",
		strings.Join(evicting, ", "), fix)
}

// logDurability says at start-up how posts are acknowledged and, from
// Redis's own persistence settings, what a crash of Redis would lose, so
// that an operator learns it from the log rather than from an incident.
func logDurability(ctx context.Context, logger *slog.Logger, client goredis.UniversalClient, cfg Config) {
	switch {
	case cfg.RedisWaitReplicas == redisstore.WaitAll:
		logger.Info("a post is acknowledged once the primary and every replica a failover could promote have it",
			"replicas", waitAll, "wait_timeout", cfg.RedisWaitTimeout)
	case cfg.RedisWaitReplicas > 0:
		logger.Info("a post is acknowledged once the primary and replicas have it",
			"replicas", cfg.RedisWaitReplicas, "wait_timeout", cfg.RedisWaitTimeout)
	default:
		logger.Info("a post is acknowledged once the primary has it; a failover may lose what no replica had copied yet (set REDIS_WAIT_REPLICAS to wait for replicas)")
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.RedisTimeout)
	defer cancel()
	nodes, err := redisstore.ReadPersistence(ctx, client)
	if err != nil {
		logger.Warn("what a crash of redis would lose: unknown, the cluster's primaries could not be listed", "err", err)
		return
	}
	for _, p := range nodes {
		loss := p.LossOnCrash()
		level := slog.LevelInfo
		if !strings.HasPrefix(loss, "nothing") {
			level = slog.LevelWarn
		}
		logger.Log(ctx, level, "what a crash of redis would lose: "+loss, "addr", p.Addr,
			"appendonly", p.AppendOnly, "appendfsync", p.AppendFsync, "save", p.Save)
	}
}
