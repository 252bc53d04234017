package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/tincan-dev/tincan/api/client"
)

// postAttempts is how many times a post is sent in all, under its one
// Idempotency-Key, while its answer is lost or passing.
const postAttempts = 4

// maxPause caps the pause before a retry, whatever Retry-After asks.
const maxPause = 5 * time.Second

// postOnce posts req through port under key, sending it again while the
// answer is lost or passing, at most attempts times, after a growing
// pause (Retry-After, when the answer gives one). Sending it again is
// safe because the key goes with every attempt: when an earlier attempt
// was carried out but its answer lost (no answer, or a 503, which leaves
// the outcome unknown), the service answers that attempt's answer again,
// marked Idempotent-Replayed, instead of storing the message twice (and,
// for a post with a transfer list, instead of 403 port_transferred).
//
// It answers the last attempt's answer, a refusal included, or its error
// when it got none.
func postOnce(ctx context.Context, api *client.ClientWithResponses, port client.PortCredentials, key string, req client.PostMessageRequest, attempts int) (*client.PostMessageResponse, error) {
	params := &client.PostMessageParams{IdempotencyKey: &key}
	for attempt := 1; ; attempt++ {
		res, err := api.PostMessageWithResponse(ctx, port.Id, params, req, client.Bearer(port.Token))
		switch {
		case err == nil && !passing(res):
			return res, nil
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case attempt == attempts:
			return res, err
		}
		pause := time.Duration(attempt) * 100 * time.Millisecond
		if err == nil {
			pause = retryAfter(res.HTTPResponse, pause)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause):
		}
	}
}

// passing reports whether res is a refusal that may pass by itself: a
// 5xx (503 unavailable: the store did not answer, so the post may or may
// not have been stored), 429, or a 409 that asks to retry shortly
// (port_busy: the port is being moved; idempotency_in_flight: an earlier
// attempt under the key is still being carried out).
func passing(res response) bool {
	switch code := res.StatusCode(); {
	case code >= 500, code == http.StatusTooManyRequests:
		return true
	case code == http.StatusConflict:
		var p client.Problem
		_ = json.Unmarshal(res.GetBody(), &p)
		return p.Code == client.ProblemCodePortBusy || p.Code == client.ProblemCodeIdempotencyInFlight
	}
	return false
}

// retryAfter is the pause r's Retry-After asks for (whole seconds, capped
// at maxPause), or otherwise when it asks for none.
func retryAfter(r *http.Response, otherwise time.Duration) time.Duration {
	if r == nil {
		return otherwise
	}
	s, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || s < 0 {
		return otherwise
	}
	return min(time.Duration(s)*time.Second, maxPause)
}
