package main

import (
	"fmt"
	"log/slog"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/handlers"
	"github.com/tincan-dev/tincan/ratelimit"
)

// Rate limit backends (RATE_LIMIT_BACKEND).
const (
	rateLimitAuto   = "auto"
	rateLimitMemory = "memory"
	rateLimitRedis  = "redis"
)

// rateLimits reads the rate limit settings into cfg.
func (l *loader) rateLimits(cfg *Config) {
	cfg.RateLimitCreatePerClient = l.nonNegativeInt("RATE_LIMIT_CREATE_PER_CLIENT", DefaultRateLimitCreatePerClient,
		"requests a second per client address that create channels, collections, tickets, tokens or event streams; 0 is no limit")
	cfg.RateLimitCreatePerClientBurst = l.positiveInt("RATE_LIMIT_CREATE_PER_CLIENT_BURST", DefaultRateLimitCreatePerClientBurst, "burst of those requests per client address")
	cfg.RateLimitPerClient = l.nonNegativeInt("RATE_LIMIT_PER_CLIENT", DefaultRateLimitPerClient, "requests of any kind a second per client address; 0 is no limit")
	cfg.RateLimitPerClientBurst = l.positiveInt("RATE_LIMIT_PER_CLIENT_BURST", DefaultRateLimitPerClientBurst, "burst of requests per client address, once RATE_LIMIT_PER_CLIENT is set")
	cfg.RateLimitPerToken = l.nonNegativeInt("RATE_LIMIT_PER_TOKEN", DefaultRateLimitPerToken, "requests of any kind a second per credential; 0 is no limit")
	cfg.RateLimitPerTokenBurst = l.positiveInt("RATE_LIMIT_PER_TOKEN_BURST", DefaultRateLimitPerTokenBurst, "burst of requests per credential, once RATE_LIMIT_PER_TOKEN is set")
	cfg.RateLimitBackend = l.oneOf("RATE_LIMIT_BACKEND", DefaultRateLimitBackend, "where rate limits are counted: auto, memory or redis", rateLimitAuto, rateLimitMemory, rateLimitRedis)
	if cfg.RateLimitBackend == rateLimitRedis && cfg.RedisURL == "" {
		l.fail("RATE_LIMIT_BACKEND", rateLimitRedis, "memory or auto without REDIS_URL: the redis backend uses the store's Redis")
	}
	cfg.TrustedProxies = l.str("TRUSTED_PROXIES", "", "CIDRs of proxies whose X-Forwarded-For is believed")
	if _, err := handlers.ParseTrustedProxies(cfg.TrustedProxies); err != nil {
		l.errs = append(l.errs, fmt.Errorf("TRUSTED_PROXIES: %w", err))
	}
}

// rateLimitTimeout is how long a rate limit check waits for Redis before
// it lets the request through: a quarter of REDIS_TIMEOUT, so that while
// Redis is gone a request still answers within about REDIS_TIMEOUT, which
// the store's own attempt takes.
func rateLimitTimeout(cfg Config) time.Duration { return cfg.RedisTimeout / 4 }

// newRateLimiter builds the limiter the settings ask for, on client (the
// store's Redis, nil for the memory store) when the backend is Redis. It
// returns nil when every limit is off.
func newRateLimiter(cfg Config, client goredis.UniversalClient, logger *slog.Logger) handlers.RateLimiter {
	limits := ratelimit.Limits{
		CreatePerClient: ratelimit.Limit{Rate: cfg.RateLimitCreatePerClient, Burst: cfg.RateLimitCreatePerClientBurst},
		PerClient:       ratelimit.Limit{Rate: cfg.RateLimitPerClient, Burst: cfg.RateLimitPerClientBurst},
		PerToken:        ratelimit.Limit{Rate: cfg.RateLimitPerToken, Burst: cfg.RateLimitPerTokenBurst},
	}
	if limits.Off() {
		logger.Warn("rate limits are off (RATE_LIMIT_CREATE_PER_CLIENT=0, RATE_LIMIT_PER_CLIENT=0 and RATE_LIMIT_PER_TOKEN=0)")
		return nil
	}
	var backend ratelimit.Backend
	name := rateLimitMemory
	// loadConfig made sure that the redis backend comes with REDIS_URL.
	if client != nil && cfg.RateLimitBackend != rateLimitMemory {
		backend, name = ratelimit.NewRedis(client, cfg.RedisKeyPrefix, rateLimitTimeout(cfg)), rateLimitRedis
	} else {
		backend = ratelimit.NewMemory()
	}
	logger.Info("rate limits", "backend", name,
		"create_per_client", limits.CreatePerClient.Rate, "create_per_client_burst", limits.CreatePerClient.Burst,
		"per_client", limits.PerClient.Rate, "per_client_burst", limits.PerClient.Burst,
		"per_token", limits.PerToken.Rate, "per_token_burst", limits.PerToken.Burst)
	if name == rateLimitMemory && client != nil {
		logger.Warn("rate limits are kept in memory: each instance counts on its own; set RATE_LIMIT_BACKEND=auto to share them through Redis")
	}
	return ratelimit.New(backend, limits, logger.With("component", "ratelimit"))
}
