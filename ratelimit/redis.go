package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// DefaultRedisTimeout bounds one check in Redis.
const DefaultRedisTimeout = 2 * time.Second

// Redis is a Backend in Redis, shared by every instance that uses the same
// Redis and prefix. Each check is one script on one key, named
// <prefix>rate:<key>, so it works on a Cluster as on a single server; a
// key expires once its bucket is full again.
type Redis struct {
	limiter *redis_rate.Limiter
	timeout time.Duration
}

var _ Backend = (*Redis)(nil)

// NewRedis returns a Backend on client whose keys start with prefix. A
// check that takes longer than timeout (DefaultRedisTimeout if zero) is
// an error, provided the client lets a context's deadline reach its
// connections (ContextTimeoutEnabled, as cmd/api sets it).
func NewRedis(client redis.UniversalClient, prefix string, timeout time.Duration) *Redis {
	if timeout <= 0 {
		timeout = DefaultRedisTimeout
	}
	return &Redis{limiter: redis_rate.NewLimiter(prefixed{client, prefix}), timeout: timeout}
}

// Allow implements Backend with redis_rate's GCRA script.
func (r *Redis) Allow(ctx context.Context, key string, limit Limit) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	res, err := r.limiter.Allow(ctx, key, redis_rate.Limit{Rate: limit.Rate, Burst: limit.Burst, Period: limit.period()})
	if err != nil {
		return Result{}, fmt.Errorf("rate limit check in redis: %w", err)
	}
	out := Result{Allowed: res.Allowed > 0, Remaining: res.Remaining, ResetAfter: res.ResetAfter}
	if !out.Allowed {
		out.RetryAfter = res.RetryAfter
	}
	return out, nil
}

// prefixed is the client as redis_rate sees it: every key it names (always
// "rate:<key>") gets the deployment's prefix in front, so that the
// limiter's keys sit with the store's.
type prefixed struct {
	redis.UniversalClient
	prefix string
}

func (p prefixed) keys(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = p.prefix + k
	}
	return out
}

func (p prefixed) Eval(ctx context.Context, script string, keys []string, args ...any) *redis.Cmd {
	return p.UniversalClient.Eval(ctx, script, p.keys(keys), args...)
}

func (p prefixed) EvalSha(ctx context.Context, sha1 string, keys []string, args ...any) *redis.Cmd {
	return p.UniversalClient.EvalSha(ctx, sha1, p.keys(keys), args...)
}

func (p prefixed) EvalRO(ctx context.Context, script string, keys []string, args ...any) *redis.Cmd {
	return p.UniversalClient.EvalRO(ctx, script, p.keys(keys), args...)
}

func (p prefixed) EvalShaRO(ctx context.Context, sha1 string, keys []string, args ...any) *redis.Cmd {
	return p.UniversalClient.EvalShaRO(ctx, sha1, p.keys(keys), args...)
}

func (p prefixed) Del(ctx context.Context, keys ...string) *redis.IntCmd {
	return p.UniversalClient.Del(ctx, p.keys(keys)...)
}
