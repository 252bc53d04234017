package handlers

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"
)

// RateLimiter decides whether a request may be served now.
type RateLimiter interface {
	// Check counts a request from the client address client presenting
	// the secret credential ("" for none), and says whether to refuse it
	// and then how long the client should wait.
	Check(ctx context.Context, client, credential string) (retryAfter time.Duration, limited bool)
}

// errRateLimited is answered 429 rate_limited; a rateLimitedError carries
// the wait.
var errRateLimited = errors.New("rate limited")

// rateLimitedError is errRateLimited with how long to wait.
type rateLimitedError struct{ retryAfter time.Duration }

func (e *rateLimitedError) Error() string { return "rate limited for " + e.retryAfter.String() }

func (e *rateLimitedError) Is(target error) bool { return target == errRateLimited }

// retryAfterSeconds is the wait as Retry-After has it: whole seconds,
// rounded up, at least 1.
func (e *rateLimitedError) retryAfterSeconds() string {
	return strconv.Itoa(max(1, int(math.Ceil(e.retryAfter.Seconds()))))
}

// unlimitedPaths are never rate limited: orchestrators and Prometheus
// poll them, and refusing them would take a busy instance out of service
// or blind its monitoring exactly when it is busiest. Nor are the pages
// and their files (Server.isPage).
var unlimitedPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// limitRate refuses a request over its client's or its credential's rate
// (Config.RateLimiter) with 429 rate_limited and Retry-After. It runs
// before anything reads the body or asks the store, so a refusal costs
// almost nothing.
func (s *Server) limitRate(next http.Handler) http.Handler {
	if s.cfg.RateLimiter == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !unlimitedPaths[r.URL.Path] && !s.isPage(r) {
			wait, limited := s.cfg.RateLimiter.Check(r.Context(), s.clientAddress(r), presentedSecret(r))
			if limited {
				s.writeError(w, r, &rateLimitedError{retryAfter: wait})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// presentedSecret is the credential a request is counted under: the one
// the route would use, that is the bearer token of the Authorization
// header, else the access_token or ticket query parameter; "" for none.
func presentedSecret(r *http.Request) string {
	if secret := bearerToken(r); secret != "" {
		return secret
	}
	q := r.URL.Query()
	if t := q.Get(accessTokenParam); t != "" {
		return t
	}
	return q.Get(ticketParam)
}
