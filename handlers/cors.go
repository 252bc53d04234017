package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/rs/cors"
)

// corsMaxAge is how long, in seconds, a browser may cache a preflight's
// answer.
const corsMaxAge = 600

// ParseCORSOrigins reads a comma-separated allow-list of origins, each
// exactly scheme://host[:port] with scheme http or https, or the list "*"
// alone. Anything looser is refused rather than read generously: "null"
// (the origin of sandboxed frames and file: pages, which any site can
// produce), wildcards inside an origin, paths, user info. An empty list
// means no CORS at all.
func ParseCORSOrigins(list string) ([]string, error) {
	var origins []string
	for o := range strings.SplitSeq(list, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if o == "*" {
			if strings.TrimSpace(list) != "*" {
				return nil, fmt.Errorf("%q: * allows every origin and must stand alone", list)
			}
			return []string{"*"}, nil
		}
		if strings.EqualFold(o, "null") {
			return nil, fmt.Errorf("%q: the null origin is never allowed: any page can send it", o)
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" ||
			strings.ContainsAny(o, "*") || strings.HasSuffix(o, ":") {
			return nil, fmt.Errorf("%q: want an exact origin, scheme://host[:port] with scheme http or https", o)
		}
		origins = append(origins, strings.ToLower(o))
	}
	return origins, nil
}

// corsMiddleware answers preflights and marks the answers of requests
// from the allowed origins; with no origins it does nothing, and the
// answers carry no CORS header at all. Port tokens travel in the
// Authorization header, not in cookies, so credentials are never allowed:
// that keeps "*" safe to offer.
func corsMiddleware(origins []string) func(http.Handler) http.Handler {
	if len(origins) == 0 {
		return func(next http.Handler) http.Handler { return next }
	}
	c := cors.New(cors.Options{
		AllowedOrigins: origins,
		// Every method a route has; TestCORSPreflightEveryRoute walks the
		// router to keep this list whole.
		AllowedMethods: []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodDelete},
		// What clients send (browsers list them lowercase and sorted in a
		// preflight): the port token, JSON bodies, EventSource
		// polyfills' resume point, idempotent retries, and the client's
		// own request id.
		AllowedHeaders: []string{"Authorization", "Content-Type", "Last-Event-ID", "Idempotency-Key", requestIDHeader},
		// What a browser client must read: when to retry, whether a post
		// was a replay, why it was refused, what methods a route has, and
		// the id to quote when reporting a problem.
		ExposedHeaders:   []string{"Retry-After", replayedHeader, "WWW-Authenticate", "Allow", requestIDHeader},
		AllowCredentials: false,
		MaxAge:           corsMaxAge,
	})
	return c.Handler
}
