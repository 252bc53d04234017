package fault

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tincan-dev/tincan/store"
)

// Report is what the checker found. The counts of outcomes and of what
// became of failed posts are figures; the rest are violations of the
// promise and must be zero.
type Report struct {
	Attempts     int
	Acknowledged int
	Refused      int
	Unavailable  int
	Unknown      int
	// Retried counts posts that took more than one request under their
	// Idempotency-Key (LoadConfig.Idempotent).
	Retried int
	// Statuses counts the answers by HTTP status (0: no answer).
	Statuses map[int]int
	// Delivered counts distinct event ids received; Redelivered counts
	// events received again under an id already seen (allowed: a stream
	// may repeat what was not yet acknowledged).
	Delivered   int
	Redelivered int
	Resumes     int
	// UnavailableDelivered and UnknownDelivered count failed posts whose
	// message was stored after all.
	UnavailableDelivered int
	UnknownDelivered     int

	// Lost lists acknowledged messages never delivered.
	Lost []string
	// Duplicates lists posts delivered under more than one event id.
	Duplicates []string
	// Mismatched lists acknowledged ids delivered with another post's data.
	Mismatched []string
	// OutOfOrder lists ports whose acknowledged posts got ids out of
	// their posting order, or whose stream went back to an unseen id.
	OutOfOrder []string
	// BadResumes lists streams that, resumed after an id, started at or
	// before it.
	BadResumes []string
	// RefusedDelivered lists refused (4xx) posts that were stored.
	RefusedDelivered []string
}

// Violations returns one line per broken promise, or none.
func (r Report) Violations() []string {
	var out []string
	add := func(what string, list []string) {
		if len(list) > 0 {
			out = append(out, fmt.Sprintf("%s: %d (%s)", what, len(list), strings.Join(first(list, 5), "; ")))
		}
	}
	add("acknowledged but lost", r.Lost)
	add("delivered under two event ids", r.Duplicates)
	add("delivered with other data", r.Mismatched)
	add("out of order", r.OutOfOrder)
	add("resumed at the wrong place", r.BadResumes)
	add("refused but stored", r.RefusedDelivered)
	return out
}

// String sums the report up in one line, for logs and RELIABILITY.md.
func (r Report) String() string {
	return fmt.Sprintf("%d posts %v: %d acknowledged, %d refused, %d unavailable (%d of them stored), %d unknown (%d of them stored); "+
		"%d retried with their key; %d delivered, %d redelivered, %d resumes; lost %d, duplicates %d, out of order %d, bad resumes %d",
		r.Attempts, r.Statuses, r.Acknowledged, r.Refused, r.Unavailable, r.UnavailableDelivered, r.Unknown, r.UnknownDelivered,
		r.Retried, r.Delivered, r.Redelivered, r.Resumes, len(r.Lost), len(r.Duplicates), len(r.OutOfOrder), len(r.BadResumes))
}

func first(list []string, n int) []string {
	if len(list) > n {
		return append(list[:n:n], "...")
	}
	return list
}

// Check compares what was posted with what was delivered.
func (r *Recorder) Check() Report {
	attempts, deliveries, resumes := r.snapshot()
	rep := Report{Attempts: len(attempts), Resumes: resumes, Statuses: map[int]int{}}

	type key struct {
		port string
		id   store.EventID
	}
	type post struct {
		port string
		seq  int
	}
	delivered := map[key]int{}          // id -> seq it carried
	idsOf := map[post][]store.EventID{} // post -> distinct ids it came under
	newest := map[string]store.EventID{}
	for _, d := range deliveries {
		k := key{d.Port, d.ID}
		if d.Resumed && d.ID.Compare(d.After) <= 0 {
			rep.BadResumes = append(rep.BadResumes, fmt.Sprintf("port %s resumed after %s at %s", d.Port, d.After, d.ID))
		}
		if _, seen := delivered[k]; seen {
			rep.Redelivered++
			continue
		}
		if d.ID.Compare(newest[d.Port]) < 0 {
			rep.OutOfOrder = append(rep.OutOfOrder, fmt.Sprintf("port %s received %s after %s", d.Port, d.ID, newest[d.Port]))
		} else {
			newest[d.Port] = d.ID
		}
		delivered[k] = d.Seq
		p := post{d.Port, d.Seq}
		idsOf[p] = append(idsOf[p], d.ID)
	}
	rep.Delivered = len(delivered)
	for p, ids := range idsOf {
		if len(ids) > 1 {
			rep.Duplicates = append(rep.Duplicates, fmt.Sprintf("port %s seq %d as %v", p.port, p.seq, ids))
		}
	}

	acked := map[string][]Attempt{}
	for _, a := range attempts {
		rep.Statuses[a.Status]++
		if a.Tries > 1 {
			rep.Retried++
		}
		stored := len(idsOf[post{a.Port, a.Seq}]) > 0
		switch a.Outcome {
		case Acknowledged:
			rep.Acknowledged++
			acked[a.Port] = append(acked[a.Port], a)
			seq, ok := delivered[key{a.Port, a.ID}]
			switch {
			case !ok:
				rep.Lost = append(rep.Lost, fmt.Sprintf("port %s seq %d id %s", a.Port, a.Seq, a.ID))
			case seq != a.Seq:
				rep.Mismatched = append(rep.Mismatched, fmt.Sprintf("port %s id %s: seq %d, want %d", a.Port, a.ID, seq, a.Seq))
			}
		case Refused:
			rep.Refused++
			if stored {
				rep.RefusedDelivered = append(rep.RefusedDelivered, fmt.Sprintf("port %s seq %d (status %d)", a.Port, a.Seq, a.Status))
			}
		case Unavailable:
			rep.Unavailable++
			if stored {
				rep.UnavailableDelivered++
			}
		case Unknown:
			rep.Unknown++
			if stored {
				rep.UnknownDelivered++
			}
		}
	}
	// A poster waits for each answer before the next post, so its
	// acknowledged posts must have increasing ids in posting order.
	for port, as := range acked {
		slices.SortFunc(as, func(a, b Attempt) int { return a.Seq - b.Seq })
		for i := 1; i < len(as); i++ {
			if as[i].ID.Compare(as[i-1].ID) <= 0 {
				rep.OutOfOrder = append(rep.OutOfOrder, fmt.Sprintf("port %s: seq %d got %s, seq %d got %s",
					port, as[i-1].Seq, as[i-1].ID, as[i].Seq, as[i].ID))
			}
		}
	}
	slices.Sort(rep.Duplicates)
	return rep
}
