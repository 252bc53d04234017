package handlers

import (
	"net/http"
	"sync"
)

// requestTail is what the middleware does at a request's end, put off
// until a parked stream ends: logging and timing the request, releasing a
// forwarded client's count (see observeRequests, countForwardedClient).
type requestTail struct {
	mu    sync.Mutex
	fns   []func(bytes int64)
	ended bool
}

// requestTailOf returns the tail of r's request if its handler parked
// it, else nil.
func requestTailOf(r *http.Request) *requestTail {
	if rw, ok := r.Context().Value(requestIDKey{}).(*recordingWriter); ok {
		return rw.tail
	}
	return nil
}

// later has f run when the request ends, with the bytes written after
// the handler returned; at once if it has ended already.
func (t *requestTail) later(f func(bytes int64)) {
	t.mu.Lock()
	if !t.ended {
		t.fns = append(t.fns, f)
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	f(0)
}

// end runs what was put off, the latest first, as deferred calls run.
func (t *requestTail) end(bytes int64) {
	if t == nil {
		return
	}
	t.mu.Lock()
	fns := t.fns
	t.fns, t.ended = nil, true
	t.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i](bytes)
	}
}
