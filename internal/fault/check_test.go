package fault

import (
	"strings"
	"testing"

	"github.com/tincan-dev/tincan/store"
)

func id(ms uint64) store.EventID { return store.EventID{Ms: ms} }

// The checker must see each kind of broken promise, or the fault tests
// prove nothing.
func TestCheckFindsViolations(t *testing.T) {
	ack := func(seq int, ms uint64) Attempt {
		return Attempt{Port: "p", Seq: seq, Outcome: Acknowledged, Status: 201, ID: id(ms)}
	}
	got := func(seq int, ms uint64) Delivery { return Delivery{Port: "p", Seq: seq, ID: id(ms)} }
	for _, tc := range []struct {
		name       string
		attempts   []Attempt
		deliveries []Delivery
		want       string // a violation's prefix, or "" for none
	}{
		{"clean", []Attempt{ack(0, 1), ack(1, 2)}, []Delivery{got(0, 1), got(1, 2), got(1, 2)}, ""},
		{"failed posts promise nothing", []Attempt{ack(0, 1), {Port: "p", Seq: 1, Outcome: Unknown}, {Port: "p", Seq: 2, Outcome: Unavailable, Status: 503}},
			[]Delivery{got(0, 1), got(1, 2)}, ""},
		{"lost", []Attempt{ack(0, 1), ack(1, 2)}, []Delivery{got(0, 1)}, "acknowledged but lost"},
		{"stored twice", []Attempt{ack(0, 1)}, []Delivery{got(0, 1), got(0, 2)}, "delivered under two event ids"},
		{"other data", []Attempt{ack(0, 1)}, []Delivery{got(5, 1)}, "delivered with other data"},
		{"stream goes back", []Attempt{ack(0, 1), ack(1, 2)}, []Delivery{got(1, 2), got(0, 1)}, "out of order"},
		{"ids against posting order", []Attempt{ack(0, 2), ack(1, 1)}, []Delivery{got(1, 1), got(0, 2)}, "out of order"},
		{"resume repeats", []Attempt{ack(0, 1), ack(1, 2)},
			[]Delivery{got(0, 1), {Port: "p", Seq: 0, ID: id(1), Resumed: true, After: id(1)}, got(1, 2)}, "resumed at the wrong place"},
		{"refused but stored", []Attempt{{Port: "p", Seq: 0, Outcome: Refused, Status: 429}}, []Delivery{got(0, 1)}, "refused but stored"},
	} {
		var r Recorder
		for _, a := range tc.attempts {
			r.Attempted(a)
		}
		for _, d := range tc.deliveries {
			r.Delivered(d)
		}
		v := r.Check().Violations()
		switch {
		case tc.want == "" && len(v) != 0:
			t.Errorf("%s: violations %v, want none", tc.name, v)
		case tc.want != "" && (len(v) != 1 || !strings.HasPrefix(v[0], tc.want)):
			t.Errorf("%s: violations %v, want one %q", tc.name, v, tc.want)
		}
	}
}
