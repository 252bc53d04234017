package fault

import (
	"slices"
	"sync"
	"time"

	"github.com/tincan-dev/tincan/store"
)

// Outcome is what a client learned from one post.
type Outcome int

// The outcomes of a post.
const (
	// Acknowledged: 201 with an event id. The message must be delivered.
	Acknowledged Outcome = iota
	// Refused: a 4xx answer. Nothing may have been stored.
	Refused
	// Unavailable: a 5xx answer (503 while Redis is away, 500 for the
	// unexpected). The service promises nothing either way.
	Unavailable
	// Unknown: no answer (connection refused or reset, timeout). The
	// message may or may not have been stored.
	Unknown
)

// String names the outcome, for reports.
func (o Outcome) String() string {
	return [...]string{"acknowledged", "refused", "unavailable", "unknown"}[o]
}

// Attempt is one post as its client saw it.
type Attempt struct {
	// Port is the receiving port's id.
	Port string
	// Seq is the poster's sequence number, unique per attempt and
	// carried in the message's data.
	Seq     int
	Outcome Outcome
	// Status is the HTTP status, or 0 for Unknown.
	Status int
	// ID is the event id of an acknowledged post.
	ID store.EventID
	// Tries counts the requests this post took: more than one when it was
	// retried under its Idempotency-Key (LoadConfig.Idempotent).
	Tries int
	// Sent is when the post was sent; At is when the answer came (or
	// the attempt failed).
	Sent, At time.Time
}

// Delivery is one message event a stream received.
type Delivery struct {
	Port string
	ID   store.EventID
	Seq  int
	// Resumed is set on the first event of a stream that resumed with a
	// Last-Event-ID, and After is that id.
	Resumed bool
	After   store.EventID
}

// Connect is one attempt of a reader to open its stream.
type Connect struct {
	Port string
	// At is when the answer came (or the attempt failed).
	At time.Time
	// Status is the HTTP status, or 0 when no answer came; Code is a
	// refusal's problem code.
	Status int
	Code   string
	// After is the Last-Event-ID sent, zero for none.
	After store.EventID
}

// Rewind is an `event: reset` carrying rewound_to: the store no longer
// knew the stream's resume point (a failover took it back), and the
// stream goes on after RewoundTo.
type Rewind struct {
	Port                   string
	LastEventID, RewoundTo store.EventID
}

// Recorder collects attempts and deliveries from many goroutines.
type Recorder struct {
	mu         sync.Mutex
	attempts   []Attempt
	deliveries []Delivery
	resumes    int
	connects   []Connect
	rewinds    []Rewind
}

// Attempted records a post's outcome.
func (r *Recorder) Attempted(a Attempt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts = append(r.attempts, a)
}

// Delivered records a message a stream received.
func (r *Recorder) Delivered(d Delivery) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deliveries = append(r.deliveries, d)
}

// Resumed counts a stream reopened with a Last-Event-ID.
func (r *Recorder) Resumed() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.resumes++
}

// Connected records a reader's attempt to open its stream.
func (r *Recorder) Connected(c Connect) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.connects = append(r.connects, c)
}

// Rewound records a stream's rewind.
func (r *Recorder) Rewound(w Rewind) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rewinds = append(r.rewinds, w)
}

// Connects returns the readers' attempts to open their streams.
func (r *Recorder) Connects() []Connect {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Connect(nil), r.connects...)
}

// Rewinds returns the rewinds streams announced.
func (r *Recorder) Rewinds() []Rewind {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Rewind(nil), r.rewinds...)
}

// FirstAcknowledgedAfter returns when the first post sent after t was
// acknowledged, and false when none was: how long writes took to resume
// after a failure at t.
func (r *Recorder) FirstAcknowledgedAfter(t time.Time) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var first time.Time
	for _, a := range r.attempts {
		if a.Outcome == Acknowledged && a.Sent.After(t) && (first.IsZero() || a.At.Before(first)) {
			first = a.At
		}
	}
	return first, !first.IsZero()
}

// LongestAckGap returns the longest stretch of time within [from, to]
// in which no post was acknowledged: how long writes stopped.
func (r *Recorder) LongestAckGap(from, to time.Time) time.Duration {
	r.mu.Lock()
	var ats []time.Time
	for _, a := range r.attempts {
		if a.Outcome == Acknowledged && a.At.After(from) && a.At.Before(to) {
			ats = append(ats, a.At)
		}
	}
	r.mu.Unlock()
	slices.SortFunc(ats, time.Time.Compare)
	gap, prev := time.Duration(0), from
	for _, at := range append(ats, to) {
		gap = max(gap, at.Sub(prev))
		prev = at
	}
	return gap
}

// acknowledgedAt returns the ids acknowledged for port.
func (r *Recorder) acknowledgedAt(port string) []store.EventID {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []store.EventID
	for _, a := range r.attempts {
		if a.Port == port && a.Outcome == Acknowledged {
			out = append(out, a.ID)
		}
	}
	return out
}

// deliveredAt returns the set of ids delivered at port.
func (r *Recorder) deliveredAt(port string) map[store.EventID]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[store.EventID]bool{}
	for _, d := range r.deliveries {
		if d.Port == port {
			out[d.ID] = true
		}
	}
	return out
}

// snapshot returns copies of what was recorded.
func (r *Recorder) snapshot() ([]Attempt, []Delivery, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Attempt(nil), r.attempts...), append([]Delivery(nil), r.deliveries...), r.resumes
}
