package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"
)

// DefaultWarnEvery is how often, at most, a Limiter logs that its backend
// fails.
const DefaultWarnEvery = 10 * time.Second

// backendPause is how long a Limiter stops asking a backend that failed:
// meanwhile requests go through at once, instead of each waiting for a
// Redis that is down to fail again.
const backendPause = time.Second

// Limits are what a Limiter allows; an Off limit is not checked.
type Limits struct {
	// PerClient bounds every request from one client address.
	PerClient Limit
	// PerToken bounds every request presenting one credential, from any
	// address.
	PerToken Limit
	// CreatePerClient bounds, per client address, the requests that
	// create something that lasts or holds the server's resources: the
	// caller says which (see Check).
	CreatePerClient Limit
}

// Off reports whether every limit lets everything through.
func (l Limits) Off() bool { return l.PerClient.Off() && l.PerToken.Off() && l.CreatePerClient.Off() }

// Limiter applies Limits on a Backend. When the backend fails it lets
// requests through (fail open): losing the limits for a while is better
// than losing the service.
type Limiter struct {
	backend   Backend
	limits    Limits
	logger    *slog.Logger
	warnEvery time.Duration

	mu        sync.Mutex
	lastWarn  time.Time
	downUntil time.Time
}

// New returns a Limiter that applies limits on backend. Backend failures
// are logged to logger as WARN, at most once per DefaultWarnEvery.
func New(backend Backend, limits Limits, logger *slog.Logger) *Limiter {
	return &Limiter{backend: backend, limits: limits, logger: logger, warnEvery: DefaultWarnEvery}
}

// Check counts a request from the client address client presenting the
// secret credential ("" for none), one that creates something if creates
// is true, and says whether it must be refused and then how long to wait.
// The limits are checked from the narrowest to the widest: a creation's
// limit, then the client's, then the credential's; a request one of them
// refuses is not counted against those after it. The credential is keyed by
// its SHA-256, so the secret is never kept, in memory or in Redis.
func (l *Limiter) Check(ctx context.Context, client, credential string, creates bool) (retryAfter time.Duration, limited bool) {
	if creates && !l.limits.CreatePerClient.Off() {
		if wait, refused := l.check(ctx, "create:client:"+client, l.limits.CreatePerClient); refused {
			return wait, true
		}
	}
	if !l.limits.PerClient.Off() {
		if wait, refused := l.check(ctx, "client:"+client, l.limits.PerClient); refused {
			return wait, true
		}
	}
	if credential != "" && !l.limits.PerToken.Off() {
		return l.check(ctx, "token:"+credentialKey(credential), l.limits.PerToken)
	}
	return 0, false
}

// check asks the backend about one key, letting the request through when it
// cannot tell.
func (l *Limiter) check(ctx context.Context, key string, limit Limit) (time.Duration, bool) {
	if l.paused() {
		return 0, false
	}
	res, err := l.backend.Allow(ctx, key, limit)
	if err != nil {
		if ctx.Err() == nil {
			l.failed(ctx, err)
		}
		return 0, false
	}
	return res.RetryAfter, !res.Allowed
}

// paused reports whether the backend failed less than backendPause ago.
func (l *Limiter) paused() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return time.Now().Before(l.downUntil)
}

// failed pauses the backend, and logs its failure unless one was logged
// less than warnEvery ago.
func (l *Limiter) failed(ctx context.Context, err error) {
	l.mu.Lock()
	now := time.Now()
	l.downUntil = now.Add(backendPause)
	quiet := !l.lastWarn.IsZero() && now.Sub(l.lastWarn) < l.warnEvery
	if !quiet {
		l.lastWarn = now
	}
	l.mu.Unlock()
	if !quiet {
		l.logger.WarnContext(ctx, "rate limits not applied: the backend fails, so requests go through unchecked", "err", err, "next_warning_after", l.warnEvery)
	}
}

// credentialKey names a credential by the SHA-256 of its secret, in hex.
func credentialKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
