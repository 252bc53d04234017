// Package ratelimit limits how often a client may call the API: a
// sustained rate per second and a burst, per client address and per
// credential for every request, and per client address for the requests
// that create something, with the generic cell rate algorithm (GCRA). Memory keeps the
// state in one process; Redis shares it between every instance using the
// same Redis. Both give the same answers to the same sequence of checks.
package ratelimit

import (
	"context"
	"time"
)

// Limit is a sustained rate and a burst: Burst requests may arrive at
// once, and then Rate more every Period.
type Limit struct {
	// Rate is the sustained number of requests per Period; 0 turns the
	// limit off.
	Rate int
	// Burst is how many requests may arrive at once; it is at least 1
	// when Rate is set.
	Burst int
	// Period is what Rate counts over; zero means a second, which is what
	// the settings use.
	Period time.Duration
}

// Off reports whether the limit lets everything through.
func (l Limit) Off() bool { return l.Rate <= 0 }

// interval is the time one request costs: the time between two
// requests at the sustained rate.
func (l Limit) interval() time.Duration { return l.period() / time.Duration(l.Rate) }

// period is Period, or a second when it is not set.
func (l Limit) period() time.Duration {
	if l.Period <= 0 {
		return time.Second
	}
	return l.Period
}

// Result is the answer to one check.
type Result struct {
	// Allowed says whether the request may go ahead; it was counted if so.
	Allowed bool
	// Remaining is how many more requests could go ahead at once now.
	Remaining int
	// RetryAfter is how long until a refused request would be allowed;
	// zero when Allowed.
	RetryAfter time.Duration
	// ResetAfter is how long until the key's bucket is full again.
	ResetAfter time.Duration
}

// Backend keeps the state of the limits, key by key.
type Backend interface {
	// Allow counts one request against key under limit, if limit lets it
	// through now, and says so. An error means the backend could not
	// decide (the request was not counted).
	Allow(ctx context.Context, key string, limit Limit) (Result, error)
}
