package handlers

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RateLimiter decides whether a request may be served now.
type RateLimiter interface {
	// Check counts a request from the client address client presenting
	// the secret credential ("" for none), one of createRoutes if creates
	// is true, and says whether to refuse it and then how long the client
	// should wait.
	Check(ctx context.Context, client, credential string, creates bool) (retryAfter time.Duration, limited bool)
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

// createRoutes are the routes whose requests create something that lasts
// or holds the server's resources: a channel, a collection, a stream or
// message ticket, a scoped token, an open event stream. The limiter may give them
// a limit of their own, and cmd/api by default limits only them: posting,
// reading and acknowledging are the service's work, which one client may
// do as fast as the server answers. TestCreateRoutes holds the list to
// routes.go.
var createRoutes = []string{
	"POST /channels",
	"POST /collections",
	"POST /ports/{id}/tickets",
	"POST /ports/{id}/messages/{message_id}/tickets",
	"POST /ports/{id}/tokens",
	"GET /ports/{id}/events",
}

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
			wait, limited := s.cfg.RateLimiter.Check(r.Context(), s.clientAddress(r), presentedSecret(r), creates(r))
			if limited {
				s.writeError(w, r, &rateLimitedError{retryAfter: wait})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// creates reports whether r asks for one of createRoutes. The limiter
// runs before routing, so it matches the path as the router will (the raw
// path when there is one), without allocating.
func creates(r *http.Request) bool {
	path := r.URL.RawPath
	if path == "" {
		path = r.URL.Path
	}
	for _, route := range createRoutes {
		method, pattern, _ := strings.Cut(route, " ")
		if r.Method == method && matchesPattern(pattern, path) {
			return true
		}
	}
	return false
}

// matchesPattern reports whether path has the segments of the route
// pattern, a {name} segment matching any one segment, even an empty one,
// as the router's does.
func matchesPattern(pattern, path string) bool {
	for {
		want, patternRest, morePattern := strings.Cut(pattern, "/")
		got, pathRest, morePath := strings.Cut(path, "/")
		if morePattern != morePath || (got != want && !strings.HasPrefix(want, "{")) {
			return false
		}
		if !morePattern {
			return true
		}
		pattern, path = patternRest, pathRest
	}
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
