package storetest

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
)

var concurrencyTests = []test{
	{"PostersAndReaders", testConcurrentPostersReaders},
}

// payload is what each concurrent poster sends: who and which.
type payload struct {
	Poster int `json:"poster"`
	Seq    int `json:"seq"`
}

// testConcurrentPostersReaders: posters at both ends, a reader (who
// acknowledges as it goes) and an onlooker at each end, all at once: every message arrives
// exactly once, each poster's messages in the order posted, ids strictly
// increasing per port.
func testConcurrentPostersReaders(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	const postersPerEnd, perPoster = 4, 50
	ends := []struct{ from, to store.Credentials }{{p.p1, p.p2}, {p.p2, p.p1}}

	var wg sync.WaitGroup
	got := make([][]payload, len(ends))
	for e, end := range ends {
		sub := subscribe(t, s, end.to.PortID)
		wg.Go(func() { got[e] = readUntil(ctx, t, s, end.to, sub, postersPerEnd*perPoster) })
		for poster := range postersPerEnd {
			wg.Go(func() {
				for seq := range perPoster {
					data, _ := json.Marshal(payload{Poster: poster, Seq: seq})
					if _, err := s.Post(ctx, end.from, store.Outgoing{Data: data}); err != nil {
						t.Errorf("poster %d/%d: %v", e, poster, err)
						return
					}
				}
			})
		}
		// Someone looking on, without acknowledging, sees ordered batches
		// and disturbs nothing.
		wg.Go(func() {
			for range 20 {
				if _, err := s.Describe(ctx, end.to); err != nil {
					t.Errorf("Describe: %v", err)
					return
				}
				b, err := s.Read(ctx, end.to, store.EventID{}, store.ReadLimit{Messages: 50})
				if err != nil {
					t.Errorf("Read: %v", err)
					return
				}
				for i := 1; i < len(b.Messages); i++ {
					if b.Messages[i-1].ID.Compare(b.Messages[i].ID) >= 0 {
						t.Errorf("a batch has %q after %q", b.Messages[i].ID, b.Messages[i-1].ID)
						return
					}
				}
			}
		})
	}
	wg.Wait()

	for e := range ends {
		next := make([]int, postersPerEnd)
		for _, m := range got[e] {
			if m.Poster < 0 || m.Poster >= postersPerEnd || m.Seq != next[m.Poster] {
				t.Fatalf("end %d: got poster %d seq %d, expected seq %v", e, m.Poster, m.Seq, next)
			}
			next[m.Poster]++
		}
		for poster, n := range next {
			if n != perPoster {
				t.Errorf("end %d: poster %d delivered %d of %d", e, poster, n, perPoster)
			}
		}
		if info := describe(ctx, t, s, ends[e].to); info.Queued != 0 {
			t.Errorf("end %d: %d messages left after acknowledging all", e, info.Queued)
		}
	}
}

// readUntil reads and acknowledges at port, waiting on sub when there is
// nothing new, until it has want messages or ctx ends. It checks that ids
// strictly increase. It runs on its own goroutine, so it reports with
// t.Error only.
func readUntil(ctx context.Context, t *testing.T, s store.Store, port store.Credentials, sub *store.Subscription, want int) []payload {
	var out []payload
	var last store.EventID
	for len(out) < want {
		b, err := s.Read(ctx, port, last, store.ReadLimit{Messages: 7})
		if err != nil {
			t.Errorf("Read: %v", err)
			return out
		}
		for _, m := range b.Messages {
			if m.ID.Compare(last) <= 0 {
				t.Errorf("id %q after %q", m.ID, last)
				return out
			}
			last = m.ID
			var pl payload
			if err := json.Unmarshal(m.Data, &pl); err != nil {
				t.Errorf("data %s: %v", m.Data, err)
				return out
			}
			out = append(out, pl)
		}
		if len(b.Messages) > 0 {
			if err := s.Ack(ctx, port, last); err != nil {
				t.Errorf("Ack: %v", err)
				return out
			}
			continue
		}
		// The subscription was made before the first read, so a ring is
		// never missed; the timer only bounds a store that forgets one.
		select {
		case <-sub.C:
		case <-time.After(time.Second):
		case <-ctx.Done():
			t.Errorf("gave up after %d of %d messages: %v", len(out), want, ctx.Err())
			return out
		}
	}
	return out
}
