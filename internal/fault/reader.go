package fault

import (
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	gosse "github.com/tmaxmax/go-sse"

	"github.com/tincan-dev/tincan/store"
)

// Reader timings: the pause before reconnecting, and how long a stream may
// stay silent (the api must send keep-alives more often) before the reader
// gives it up as dead and reconnects.
const (
	reconnectPause = 50 * time.Millisecond
	silenceLimit   = 5 * time.Second
)

// reader holds an event stream on port through a random target and
// records every message; whenever the stream ends, for whatever reason, it
// reconnects to a random target with the last id it received as
// Last-Event-ID. It stops when ctx ends.
func (l *Load) reader(ctx context.Context, port portCreds, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, uint64(time.Now().UnixNano())+1))
	var last store.EventID
	for ctx.Err() == nil {
		last = l.stream(ctx, l.target(rng), port, last)
		select {
		case <-ctx.Done():
		case <-time.After(reconnectPause):
		}
	}
}

// stream reads one connection's events and returns the last id received,
// or the point a rewind set the stream back to.
func (l *Load) stream(ctx context.Context, base string, port portCreds, last store.EventID) store.EventID {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/ports/"+port.ID+"/events", nil)
	if err != nil {
		return last
	}
	req.Header.Set("Authorization", "Bearer "+port.Token)
	resumed := !last.IsZero()
	if resumed {
		req.Header.Set("Last-Event-ID", last.String())
	}
	res, err := l.sse.Do(req)
	if err != nil {
		l.rec.Connected(Connect{Port: port.ID, At: time.Now(), After: last})
		return last
	}
	defer res.Body.Close()
	conn := Connect{Port: port.ID, At: time.Now(), Status: res.StatusCode, After: last}
	if res.StatusCode != http.StatusOK {
		var p struct{ Code string }
		_ = json.NewDecoder(io.LimitReader(res.Body, 4<<10)).Decode(&p)
		conn.Code = p.Code
		l.rec.Connected(conn)
		return last
	}
	l.rec.Connected(conn)
	if resumed {
		l.rec.Resumed()
	}
	if l.cfg.StreamLifetime > 0 {
		life := l.cfg.StreamLifetime/2 + rand.N(l.cfg.StreamLifetime)
		defer time.AfterFunc(life, cancel).Stop()
	}
	after := last
	body := &watchdog{r: res.Body, timer: time.AfterFunc(silenceLimit, cancel)}
	defer body.timer.Stop()
	for ev, err := range gosse.Read(body, nil) {
		if err != nil {
			return last
		}
		if ev.Type == "reset" {
			if to, ok := rewoundTo(ev.Data); ok {
				// The store no longer knows what this client saw after
				// `to`: drop that mark, as the contract asks, since ids
				// after it may be issued again.
				l.rec.Rewound(Rewind{Port: port.ID, LastEventID: last, RewoundTo: to})
				last, after = to, to
			}
			continue
		}
		if ev.Type != "message" {
			continue
		}
		var m struct {
			ID   string
			Data struct{ Seq int }
		}
		if err := json.Unmarshal([]byte(ev.Data), &m); err != nil {
			continue
		}
		id, err := store.ParseEventID(m.ID)
		if err != nil {
			continue
		}
		l.rec.Delivered(Delivery{Port: port.ID, ID: id, Seq: m.Data.Seq, Resumed: resumed, After: after})
		resumed = false
		last = id
	}
	return last
}

// rewoundTo returns the rewound_to of a reset event's data, if it has one.
func rewoundTo(data string) (store.EventID, bool) {
	var r struct {
		RewoundTo *string `json:"rewound_to"`
	}
	if json.Unmarshal([]byte(data), &r) != nil || r.RewoundTo == nil {
		return store.EventID{}, false
	}
	id, err := store.ParseEventID(*r.RewoundTo)
	return id, err == nil
}

// watchdog ends a stream (through the timer's cancel) when no byte has
// arrived for silenceLimit: a half-open connection never reports itself.
type watchdog struct {
	r     io.Reader
	timer *time.Timer
}

func (w *watchdog) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if n > 0 {
		w.timer.Reset(silenceLimit)
	}
	return n, err
}
