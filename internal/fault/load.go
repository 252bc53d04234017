package fault

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
)

// LoadConfig shapes a load.
type LoadConfig struct {
	// Targets are the api base URLs; each request goes to a random one.
	Targets []string
	// Channels is how many channels carry the load: each has one poster
	// at port 1 and one stream reading at port 2.
	Channels int
	// Interval is the pause between one poster's posts.
	Interval time.Duration
	// PostTimeout bounds one post; a post that takes longer is Unknown.
	PostTimeout time.Duration
	// NoReaders leaves the messages queued, for tests that count what
	// the store still holds after a failure rather than what was streamed.
	NoReaders bool
	// Idempotent posts each message under its own Idempotency-Key and,
	// as a careful client would, retries one answered 5xx or not at all
	// with the same key and body until it is answered otherwise (or the
	// posting stops): such a message must be stored once, under one id.
	Idempotent bool
	// StreamLifetime, when set, makes each reader drop its stream after
	// about that long (between half and one and a half times it) and
	// resume it with Last-Event-ID, as a client on a poor network would,
	// so that every stream resumes after whatever a test did.
	StreamLifetime time.Duration
}

// retryPause is how long an Idempotent poster waits before a retry.
const retryPause = 50 * time.Millisecond

// Load is a steady stream of posts and event streams on some channels.
type Load struct {
	cfg   LoadConfig
	rec   *Recorder
	chans []loadChannel
	post  *http.Client
	sse   *http.Client

	stopPosts   context.CancelFunc
	stopReaders context.CancelFunc
	posters     sync.WaitGroup
	readers     sync.WaitGroup
}

type loadChannel struct {
	from, to portCreds
}

type portCreds struct {
	ID    string `json:"id"`
	Token string `json:"token"`
}

// NewLoad creates the load's channels through the first target. It fails
// tb when the service does not create them.
func NewLoad(tb testing.TB, cfg LoadConfig) *Load {
	tb.Helper()
	if cfg.PostTimeout == 0 {
		cfg.PostTimeout = 5 * time.Second
	}
	dial := &net.Dialer{Timeout: time.Second}
	l := &Load{
		cfg: cfg,
		rec: &Recorder{},
		// Posters keep their connections alive between posts, as a busy
		// client would; a killed process breaks them mid-flight.
		post: &http.Client{Timeout: cfg.PostTimeout, Transport: &http.Transport{
			DialContext: dial.DialContext, MaxIdleConnsPerHost: cfg.Channels,
		}},
		sse: &http.Client{Transport: &http.Transport{DialContext: dial.DialContext}},
	}
	tb.Cleanup(l.post.CloseIdleConnections)
	c := newClient()
	for range cfg.Channels {
		// A service just started may answer 503 for a moment (a replica
		// still syncing, with WAIT): retry for a few seconds.
		deadline := time.Now().Add(10 * time.Second)
		for {
			ch, err := c.createChannel(cfg.Targets[0])
			if err == nil {
				l.chans = append(l.chans, loadChannel{from: ch.Port1, to: ch.Port2})
				break
			}
			if time.Now().After(deadline) {
				tb.Fatalf("create a channel: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return l
}

// Recorder returns what the load recorded.
func (l *Load) Recorder() *Recorder { return l.rec }

// Kept reads what each channel's receiving port still holds through base
// and returns how many acknowledged messages are missing from it, and how
// many were acknowledged. A channel the store forgot misses all of them.
func (l *Load) Kept(base string) (lost, acknowledged int, err error) {
	c := newClient()
	for _, ch := range l.chans {
		acked := l.rec.acknowledgedAt(ch.to.ID)
		acknowledged += len(acked)
		held, err := c.allMessages(base, ch.to)
		if err != nil {
			return 0, 0, err
		}
		for _, id := range acked {
			if !held[id.String()] {
				lost++
			}
		}
	}
	return lost, acknowledged, nil
}

// Start starts the posters and the readers. They run until StopPosting
// and Stop.
func (l *Load) Start() {
	postCtx, stopPosts := context.WithCancel(context.Background())
	readCtx, stopReaders := context.WithCancel(context.Background())
	l.stopPosts, l.stopReaders = stopPosts, stopReaders
	for i, ch := range l.chans {
		l.posters.Go(func() { l.poster(postCtx, ch, uint64(i)) })
		if !l.cfg.NoReaders {
			l.readers.Go(func() { l.reader(readCtx, ch.to, uint64(i)) })
		}
	}
}

// StopPosting stops the posters and waits until each has its last answer.
func (l *Load) StopPosting() {
	l.stopPosts()
	l.posters.Wait()
}

// Drain waits until every acknowledged message has been delivered, or
// limit passes; it reports whether they all were.
func (l *Load) Drain(limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for {
		missing := 0
		for _, ch := range l.chans {
			got := l.rec.deliveredAt(ch.to.ID)
			for _, id := range l.rec.acknowledgedAt(ch.to.ID) {
				if !got[id] {
					missing++
				}
			}
		}
		if missing == 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the readers (and the posters, if still running).
func (l *Load) Stop() {
	if l.stopPosts == nil {
		return
	}
	l.StopPosting()
	l.stopReaders()
	l.readers.Wait()
	l.post.CloseIdleConnections()
	l.sse.CloseIdleConnections()
}

// target picks a random target.
func (l *Load) target(rng *rand.Rand) string {
	return l.cfg.Targets[rng.IntN(len(l.cfg.Targets))]
}

// poster posts {"seq": n} from ch's first port, n counting every attempt,
// and records each outcome, until ctx ends.
func (l *Load) poster(ctx context.Context, ch loadChannel, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, uint64(time.Now().UnixNano())))
	pause := time.NewTimer(0)
	defer pause.Stop()
	for seq := 0; ; seq++ {
		select {
		case <-ctx.Done():
			return
		case <-pause.C:
		}
		sent := time.Now()
		a := l.postOnce(l.target(rng), ch, seq)
		a.Tries = 1
		for l.cfg.Idempotent && (a.Outcome == Unavailable || a.Outcome == Unknown) && sleepCtx(ctx, retryPause) {
			tries := a.Tries + 1
			a = l.postOnce(l.target(rng), ch, seq)
			a.Tries = tries
		}
		a.Sent, a.At = sent, time.Now()
		l.rec.Attempted(a)
		pause.Reset(l.cfg.Interval)
	}
}

// sleepCtx sleeps for d and reports whether ctx is still live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// postOnce makes one post. Its request is not tied to the load's context:
// stopping must not turn an answer into an Unknown.
func (l *Load) postOnce(base string, ch loadChannel, seq int) Attempt {
	a := Attempt{Port: ch.to.ID, Seq: seq, Outcome: Unknown}
	body := fmt.Sprintf(`{"data":{"seq":%d}}`, seq)
	req, err := http.NewRequest(http.MethodPost, base+"/ports/"+ch.from.ID+"/messages", bytes.NewBufferString(body))
	if err != nil {
		return a
	}
	req.Header.Set("Authorization", "Bearer "+ch.from.Token)
	req.Header.Set("Content-Type", "application/json")
	if l.cfg.Idempotent {
		req.Header.Set("Idempotency-Key", fmt.Sprintf("%s-%d", ch.from.ID, seq))
	}
	res, err := l.post.Do(req)
	if err != nil {
		return a
	}
	defer res.Body.Close()
	var ans struct{ ID string }
	decodeErr := json.NewDecoder(res.Body).Decode(&ans)
	a.Status = res.StatusCode
	switch {
	case res.StatusCode == http.StatusCreated:
		id, err := store.ParseEventID(ans.ID)
		if decodeErr != nil || err != nil || id.IsZero() {
			// A 201 whose body broke off is an answer not fully heard.
			a.Outcome, a.Status = Unknown, 0
			return a
		}
		a.Outcome, a.ID = Acknowledged, id
	case res.StatusCode >= 500:
		a.Outcome = Unavailable
	default:
		a.Outcome = Refused
	}
	return a
}

// PostMarks posts one message {"seq": seq} on every channel, once the
// posters have stopped, retrying each under its Idempotency-Key until it
// is answered, and records it. It returns the acknowledged marks; a mark
// refused, or unanswered within settleLimit, fails tb.
func (l *Load) PostMarks(tb testing.TB, seq int) []Attempt {
	tb.Helper()
	c := newClient()
	var marks []Attempt
	for i, ch := range l.chans {
		key := fmt.Sprintf("mark-%d-%s", seq, ch.from.ID)
		body := fmt.Sprintf(`{"data":{"seq":%d}}`, seq)
		sent := time.Now()
		deadline := sent.Add(settleLimit)
		for try := 1; ; try++ {
			id, a := c.post(l.cfg.Targets[(i+try)%len(l.cfg.Targets)], ch.from, key, body)
			if a.Status == http.StatusCreated {
				eid, err := store.ParseEventID(id)
				if err != nil {
					tb.Fatalf("mark on %s: id %q: %v", ch.to.ID, id, err)
				}
				m := Attempt{Port: ch.to.ID, Seq: seq, Outcome: Acknowledged, Status: a.Status, ID: eid, Tries: try, Sent: sent, At: time.Now()}
				l.rec.Attempted(m)
				marks = append(marks, m)
				break
			}
			if (a.Status != 0 && a.Status < 500) || time.Now().After(deadline) {
				tb.Fatalf("mark on %s answered %v after %d requests", ch.to.ID, a, try)
			}
			time.Sleep(retryPause)
		}
	}
	return marks
}

// WaitDelivered waits until the readers have received every one of marks,
// or limit passes, and returns the marks they did not receive.
func (l *Load) WaitDelivered(marks []Attempt, limit time.Duration) []Attempt {
	deadline := time.Now().Add(limit)
	for {
		var missing []Attempt
		for _, m := range marks {
			if !l.rec.deliveredAt(m.Port)[m.ID] {
				missing = append(missing, m)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			return missing
		}
		time.Sleep(20 * time.Millisecond)
	}
}
