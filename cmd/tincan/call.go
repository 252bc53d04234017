package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retries of a request whose answer was lost: at most maxAttempts
// attempts, waiting firstBackoff, then twice as long each time, up to
// maxBackoff, or what a Retry-After header asks, up to maxBackoff too.
const (
	maxAttempts  = 6
	firstBackoff = 250 * time.Millisecond
	maxBackoff   = 15 * time.Second
)

// maxAnswer bounds the body of an answer tincan reads (not a stream's):
// far more than any the service sends.
const maxAnswer = 16 << 20

// port is a port named on the command line, with the token to use it.
type port struct {
	id, token string
}

// String is the port as the command line names it: ID:TOKEN.
func (p port) String() string { return p.id + ":" + p.token }

// parsePort reads a PORT argument: ID:TOKEN, or an ID with its token in
// TINCAN_TOKEN.
func parsePort(arg string, getenv func(string) string) (port, error) {
	id, token, found := strings.Cut(arg, ":")
	if !found {
		token = getenv("TINCAN_TOKEN")
	}
	switch {
	case id == "":
		return port{}, fmt.Errorf("port %q: give it as ID:TOKEN", arg)
	case token == "" && found:
		return port{}, fmt.Errorf("port %q: the token after the colon is empty", arg)
	case token == "":
		return port{}, fmt.Errorf("port %q has no token: give it as ID:TOKEN, or set TINCAN_TOKEN", arg)
	}
	return port{id: id, token: token}, nil
}

// answer is a service's answer to one request, read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// problem is the part of an RFC 9457 problem tincan reports. It is read
// from the body of any refusal, whatever the operation's own problem
// types are.
type problem struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
}

// problemError is a refusal by the service. Its message is the problem's
// "code: detail".
type problemError struct {
	status int
	p      problem
}

func (e *problemError) Error() string {
	switch {
	case e.p.Code != "" && e.p.Detail != "":
		return e.p.Code + ": " + e.p.Detail
	case e.p.Code != "":
		return e.p.Code + ": " + e.p.Title
	}
	return fmt.Sprintf("the service answered %d %s", e.status, http.StatusText(e.status))
}

// refusal is the error an answer a command does not expect stands for:
// the problem it carries, or its status.
func refusal(a answer) error {
	e := &problemError{status: a.status}
	_ = json.Unmarshal(a.body, &e.p)
	return e
}

// decode reads a successful answer's JSON body into v.
func decode(a answer, v any) error {
	if err := json.Unmarshal(a.body, v); err != nil {
		return fmt.Errorf("the service answered %d with a body that is not what the API describes: %v", a.status, err)
	}
	return nil
}

// retryable reports whether a request answered so may be sent again as
// it was: its outcome is unknown (503, or a proxy's 502 or 504), or the
// service asks for a retry shortly (409 port_busy while the port moves,
// 409 idempotency_in_flight while the first attempt is carried out).
func retryable(a answer) bool {
	switch a.status {
	case http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout:
		return true
	case http.StatusConflict:
		var p problem
		_ = json.Unmarshal(a.body, &p)
		return p.Code == "port_busy" || p.Code == "idempotency_in_flight"
	}
	return false
}

// call sends a request with send and reads its answer. A request that got
// no answer, or an answer that leaves its outcome open (see retryable),
// is sent again, up to maxAttempts times: send must make the very same
// request each time, with the same Idempotency-Key where the operation
// changes something, so that the change is made once. what names the
// request in messages.
func (e *env) call(ctx context.Context, what string, send func(context.Context) (*http.Response, error)) (answer, error) {
	for attempt := 1; ; attempt++ {
		a, err := readAnswer(send(ctx))
		if err == nil && !retryable(a) {
			return a, nil
		}
		if ctx.Err() != nil {
			return answer{}, fmt.Errorf("%s: %w", what, ctx.Err())
		}
		if attempt == maxAttempts {
			if err != nil {
				return answer{}, fmt.Errorf("%s: no answer after %d attempts: %w", what, attempt, err)
			}
			return a, nil
		}
		d := backoff(attempt, a.header)
		why := fmt.Sprint(err)
		if err == nil {
			why = refusal(a).Error()
		}
		fmt.Fprintf(e.stderr, "tincan: %s: %s; trying again in %v\n", what, why, d)
		if err := e.wait(ctx, d); err != nil {
			return answer{}, fmt.Errorf("%s: %w", what, err)
		}
	}
}

// readAnswer reads a response whole and closes it.
func readAnswer(res *http.Response, err error) (answer, error) {
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	if err != nil {
		return answer{}, err
	}
	return answer{status: res.StatusCode, header: res.Header, body: body}, nil
}

// backoff is how long to wait before attempt+1: what the answer's
// Retry-After asks (header may be nil), else firstBackoff doubled for
// each attempt made; never more than maxBackoff.
func backoff(attempt int, header http.Header) time.Duration {
	if d, ok := retryAfter(header); ok {
		return min(d, maxBackoff)
	}
	d := firstBackoff
	for range attempt - 1 {
		if d >= maxBackoff {
			break
		}
		d *= 2
	}
	return min(d, maxBackoff)
}

// retryAfter reads a Retry-After header, in seconds or as a date.
func retryAfter(header http.Header) (time.Duration, bool) {
	v := header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
