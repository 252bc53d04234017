package handlers

import (
	"errors"
	"net/http"
	"sync/atomic"

	"github.com/tincan-dev/tincan/store"
)

// DefaultMaxInflightBytes bounds, across the whole process, the bytes of
// message bodies being read and handled and of messages being read for an
// answer (a long poll's, an event stream's batch). Each byte reserved
// costs a few in memory while it is handled (the body, its compacted or
// decoded copy, the store's reply and the encoded answer), so 128 MiB
// keeps what requests hold at once under about half a GiB, whatever any
// number of clients send: docs/SECURITY.md (API4) states the ceiling.
const DefaultMaxInflightBytes = 128 << 20

// errServerBusy refuses a request that would take the bytes in flight
// past Config.MaxInflightBytes. Nothing was done; it is answered 503 with
// Retry-After.
var errServerBusy = errors.New("server busy: too many bytes in flight")

// inflight counts the bytes reserved by the requests under way, against
// one bound. A request reserves before it reads a body or a batch, so
// that the memory it will need is counted before it is taken, and gives
// the reservation back when it is done with the bytes. Reserving never
// waits: what does not fit is refused at once (a long poll, a post) or
// tried again later (an event stream's next batch).
type inflight struct {
	max  int64
	used atomic.Int64
}

func newInflight(max int64) *inflight { return &inflight{max: max} }

// reserve reserves n bytes, or returns errServerBusy. A reservation larger
// than the bound is cut to the bound, so that a request that needs it
// gets it when nothing else is in flight.
func (f *inflight) reserve(n int64) (*reservation, error) {
	n = min(max(n, 0), f.max)
	for {
		cur := f.used.Load()
		if cur+n > f.max {
			return nil, errServerBusy
		}
		if f.used.CompareAndSwap(cur, cur+n) {
			return &reservation{f: f, n: n}, nil
		}
	}
}

// inUse returns the bytes reserved now; for tests.
func (f *inflight) inUse() int64 { return f.used.Load() }

// reservation is bytes reserved in an inflight, used by the one goroutine
// that reserved them. Its methods are safe on a nil reservation, which
// holds nothing.
type reservation struct {
	f    *inflight
	n    int64
	done bool
}

// shrink gives back what the reservation holds beyond n: a read that
// turned out smaller than it might have been keeps only what it holds.
func (r *reservation) shrink(n int64) {
	if r == nil {
		return
	}
	if r.done || n >= r.n {
		return
	}
	r.f.used.Add(n - r.n)
	r.n = max(n, 0)
}

// release gives the reservation back; releasing twice is harmless.
func (r *reservation) release() {
	if r == nil {
		return
	}
	if !r.done {
		r.done = true
		r.f.used.Add(-r.n)
	}
}

// reserveBody reserves what a message body may hold before it is read:
// its declared length, or the largest body of its kind (maxPostBody) when
// it declares none (a chunked body), never more than that, which bounds
// the read anyway.
func (s *Server) reserveBody(r *http.Request) (*reservation, error) {
	n := s.cfg.MaxMessageSize
	if kind, err := postKind(r.Header.Get("Content-Type")); err == nil {
		n = s.maxPostBody(kind)
	}
	if r.ContentLength >= 0 {
		n = min(r.ContentLength, n)
	}
	return s.inflight.reserve(n)
}

// batchBytes is what a batch of messages holds: the bytes of their data
// or, for binary messages, of their bytes (Message.Size), which is what
// the store's byte bounds count and what dominates the memory a read
// takes.
func batchBytes(b []store.Message) int64 {
	var n int64
	for _, m := range b {
		n += m.Size()
	}
	return n
}
