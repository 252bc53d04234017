package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/memory"
)

// The error table, row by row, including wrapped errors.
func TestClassify(t *testing.T) {
	tests := []struct {
		err    error
		status int
		code   string
	}{
		{badRequest("x"), 400, "invalid_request"},
		{fmt.Errorf("ack: %w", store.ErrInvalid), 400, "invalid_request"},
		{fmt.Errorf("port p: %w", store.ErrUnauthorized), 401, "unauthorized"},
		{fmt.Errorf("port p: %w", store.ErrTransferred), 403, "port_transferred"},
		{errNotFound, 404, "not_found"},
		{errMethodNotAllowed, 405, "method_not_allowed"},
		{fmt.Errorf("close: %w", store.ErrBusy), 409, "port_busy"},
		{&store.TransferError{Index: 0, PortID: "p", Reason: store.RefusedBusy}, 409, "port_busy"},
		{fmt.Errorf("post: %w", store.ErrClosed), 410, "port_closed"},
		{&http.MaxBytesError{Limit: 1}, 413, "payload_too_large"},
		{fmt.Errorf("post: %w", &store.TransferError{Index: 2, PortID: "p", Reason: store.RefusedPeer}), 422, "invalid_transfer"},
		{fmt.Errorf("post: %w", store.ErrQueueFull), 429, "queue_full"},
		{&rateLimitedError{retryAfter: time.Second}, 429, "rate_limited"},
		{errors.New("boom"), 500, "internal_error"},
		{context.DeadlineExceeded, 500, "internal_error"},
		{fmt.Errorf("dial: %w", store.ErrUnavailable), 503, "unavailable"},
	}
	for _, tt := range tests {
		k := classify(tt.err)
		if k.status != tt.status || k.code != tt.code {
			t.Errorf("%v: %d %s, want %d %s", tt.err, k.status, k.code, tt.status, tt.code)
		}
	}
}

// faulty is a store whose every call fails with err.
type faulty struct {
	store.Store
	err error
}

func (f faulty) CreateChannel(context.Context, string) (store.NewChannel, error) {
	return store.NewChannel{}, f.err
}
func (f faulty) Ready(context.Context) error { return f.err }

// An unexpected error is logged and answered 500 with nothing of it in the
// answer; an unreachable store is 503 with Retry-After.
func TestUnexpectedErrors(t *testing.T) {
	mem := memory.New(store.Limits{})
	defer mem.Close()
	for _, tc := range []struct {
		err    error
		status int
		code   string
		level  string
	}{
		{errors.New("secret internal detail"), 500, "internal_error", "level=ERROR"},
		{fmt.Errorf("secret internal detail: %w", store.ErrUnavailable), 503, "unavailable", "level=WARN"},
	} {
		var logs bytes.Buffer
		s := NewServer(slog.New(slog.NewTextHandler(&logs, nil)), faulty{Store: mem, err: tc.err}, Config{})
		for _, path := range []string{"/channels", "/readyz"} {
			method := "POST"
			if path == "/readyz" {
				method = "GET"
				if tc.status == 500 {
					// /readyz answers every failure as unavailable.
					tc := tc
					tc.status, tc.code = 503, "unavailable"
					check(t, s, method, path, tc.status, tc.code)
					continue
				}
			}
			check(t, s, method, path, tc.status, tc.code)
		}
		if !strings.Contains(logs.String(), tc.level) || !strings.Contains(logs.String(), "secret internal detail") {
			t.Errorf("log lacks the error at %s: %s", tc.level, logs.String())
		}
	}
}

func check(t *testing.T, h http.Handler, method, path string, status int, code string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != status || !strings.Contains(string(body), `"code":"`+code+`"`) {
		t.Errorf("%s %s: %d %s, want %d %s", method, path, rec.Code, body, status, code)
	}
	if strings.Contains(string(body), "secret") {
		t.Errorf("%s %s: the answer leaks the error: %s", method, path, body)
	}
	if status == 503 && rec.Header().Get("Retry-After") != "1" {
		t.Errorf("%s %s: no Retry-After", method, path)
	}
}
