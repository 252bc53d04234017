package fault

import (
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

// Recorder collects attempts and deliveries from many goroutines.
type Recorder struct {
	mu         sync.Mutex
	attempts   []Attempt
	deliveries []Delivery
	resumes    int
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
