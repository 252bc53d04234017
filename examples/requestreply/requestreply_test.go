package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/api/client"
	"github.com/tincan-dev/tincan/internal/apitest"
	redisstore "github.com/tincan-dev/tincan/store/redis"
)

// The number of clients that send at once.
const concurrentClients = 50

// startWorker creates a worker that calculates, serves it until the test
// ends, and answers it with the reply ports it answered on.
func startWorker(t *testing.T, api *client.ClientWithResponses) (*Worker, func() []client.PortCredentials) {
	t.Helper()
	w, err := NewWorker(context.Background(), api, Calculate, apitest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var answered []client.PortCredentials
	w.Answered = func(reply client.PortCredentials) {
		mu.Lock()
		defer mu.Unlock()
		answered = append(answered, reply)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- w.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Serve did not return 10 s after its context ended")
		}
	})
	return w, func() []client.PortCredentials {
		mu.Lock()
		defer mu.Unlock()
		return append([]client.PortCredentials(nil), answered...)
	}
}

// ask is what one client asks and what it must get back.
type ask struct {
	mode    Mode
	request json.RawMessage
	// result is the answer's result when it resolves; rejection, the
	// error's text when it rejects.
	result    float64
	rejection string
}

// asks answers n clients' requests: a result that differs from every
// other client's, so that an answer delivered to the wrong client cannot
// pass, or, for every fifth client, a division by zero, which rejects.
// Modes alternate between the event stream and long polls.
func asks(n int) []ask {
	out := make([]ask, n)
	for i := range out {
		k := float64(i + 1)
		a := ask{mode: []Mode{SSE, LongPoll}[i%2]}
		var c Calculation
		switch i % 5 {
		case 0, 1:
			// (i+1)·1000001 and (j+1)·1000003 never meet for i, j < 1000001.
			c, a.result = Calculation{Op: "+", A: k, B: k * 1_000_000}, k*1_000_001
		case 2, 3:
			c, a.result = Calculation{Op: "*", A: k, B: 1_000_003}, k*1_000_003
		default:
			c, a.rejection = Calculation{Op: "/", A: k, B: 0}, "division by zero"
		}
		a.request, _ = json.Marshal(c)
		out[i] = a
	}
	return out
}

// TestConcurrentClients has 50 clients, half over SSE and half by long
// polls, ask one worker at once, on each store: each gets its own
// answer, the division by zero rejects, and afterwards every reply
// channel is closed with nothing left queued and the worker has
// acknowledged every request.
func TestConcurrentClients(t *testing.T) {
	t.Parallel()
	for _, s := range apitest.Stores {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			_, api := apitest.Start(t, s.Open(t), nil)
			w, answered := startWorker(t, api)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			endpoint, err := w.Endpoint(ctx, "test clients")
			if err != nil {
				t.Fatal(err)
			}
			if endpoint.Id != w.front.Id || endpoint.Token == w.front.Token {
				t.Fatalf("endpoint %s: want the front port %s with a token of its own", endpoint.Id, w.front.Id)
			}

			want := asks(concurrentClients)
			type outcome struct {
				reply json.RawMessage
				mine  client.PortCredentials
				err   error
			}
			got := make([]outcome, len(want))
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i, a := range want {
				wg.Go(func() {
					<-start
					reply, mine, err := NewClient(api, endpoint, a.mode).send(ctx, a.request)
					got[i] = outcome{reply, mine, err}
				})
			}
			close(start)
			wg.Wait()

			seen := map[string]int{}
			for i, a := range want {
				o := got[i]
				if a.rejection != "" {
					var re *ReplyError
					if !errors.As(o.err, &re) || re.Error() != a.rejection || string(re.Value) != `"division by zero"` || o.reply != nil {
						t.Errorf("client %d (%s) asked %s: got %s, %v; want a rejection %q", i, a.mode, a.request, o.reply, o.err, a.rejection)
					}
				} else {
					var r struct {
						Result *float64 `json:"result"`
					}
					if o.err != nil || json.Unmarshal(o.reply, &r) != nil || r.Result == nil || *r.Result != a.result {
						t.Errorf("client %d (%s) asked %s: got %s, %v; want result %v", i, a.mode, a.request, o.reply, o.err, a.result)
					}
				}
				if o.reply != nil {
					if j, dup := seen[string(o.reply)]; dup {
						t.Errorf("clients %d and %d both got %s", j, i, o.reply)
					}
					seen[string(o.reply)] = i
				}
			}

			// Every reply channel is closed, its reply acknowledged, and
			// the worker answered on each one exactly once.
			waitHandled(t, api, w, len(want))
			replyPorts := map[string]client.PortCredentials{}
			for _, r := range answered() {
				if _, dup := replyPorts[r.Id]; dup {
					t.Errorf("the worker answered twice on %s", r.Id)
				}
				replyPorts[r.Id] = r
			}
			if len(replyPorts) != len(want) {
				t.Errorf("the worker answered on %d reply ports, want %d", len(replyPorts), len(want))
			}
			for i, o := range got {
				if o.mine.Id == "" {
					continue
				}
				p := describe(t, api, o.mine)
				if p.State != client.StateClosed || p.Queued != 0 || p.Posted != 1 || p.Acknowledged != 1 {
					t.Errorf("client %d's own reply port afterwards: %+v; want closed, one reply, acknowledged", i, p)
				}
				theirs, ok := replyPorts[p.Peer]
				if !ok {
					t.Errorf("client %d: the worker never answered on its reply port %s", i, p.Peer)
					continue
				}
				if q := describe(t, api, theirs); q.State != client.StateClosed || q.Queued != 0 || q.Posted != 0 {
					t.Errorf("client %d's transferred reply port afterwards: %+v", i, q)
				}
			}
			if p := describe(t, api, w.own); p.Posted != int64(len(want)) || p.Acknowledged != int64(len(want)) || p.Queued != 0 || p.State != client.StateOpen {
				t.Errorf("the worker's port afterwards: %+v; want %d requests, all acknowledged", p, len(want))
			}
		})
	}
}

// TestWorkerReconnects cuts the worker's event stream every 150 ms while
// waves of clients ask: the worker comes back each time after the last
// request it handled, and every request is answered, once, correctly.
func TestWorkerReconnects(t *testing.T) {
	t.Parallel()
	for _, s := range apitest.Stores {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			var workerStream atomic.Value // the worker's stream path, once known
			workerStream.Store("")
			var cuts atomic.Int32
			cut := func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == workerStream.Load().(string) {
						// Cancelled, as a dropped connection's request is: a
						// deadline would read as the server's own timeout.
						ctx, cancel := context.WithCancel(r.Context())
						defer cancel()
						cut := time.AfterFunc(150*time.Millisecond, cancel)
						defer cut.Stop()
						r = r.WithContext(ctx)
						cuts.Add(1)
					}
					h.ServeHTTP(w, r)
				})
			}
			_, api := apitest.Start(t, s.Open(t), cut)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			// The worker's port is known once it is made: cut from its
			// first stream on.
			w, err := NewWorker(ctx, api, Calculate, nil)
			if err != nil {
				t.Fatal(err)
			}
			workerStream.Store("/ports/" + w.own.Id + "/events")
			var mu sync.Mutex
			answered := map[string]int{}
			w.Answered = func(reply client.PortCredentials) {
				mu.Lock()
				defer mu.Unlock()
				answered[reply.Id]++
			}
			serveCtx, stop := context.WithCancel(ctx)
			served := make(chan error, 1)
			go func() { served <- w.Serve(serveCtx) }()
			defer func() {
				stop()
				if err := <-served; err != nil {
					t.Errorf("Serve: %v", err)
				}
			}()
			endpoint, err := w.Endpoint(ctx, "reconnect test")
			if err != nil {
				t.Fatal(err)
			}

			want := asks(30)
			for wave := range 5 {
				var wg sync.WaitGroup
				for i := wave * 6; i < (wave+1)*6; i++ {
					a := want[i]
					wg.Go(func() {
						reply, err := NewClient(api, endpoint, a.mode).Send(ctx, a.request)
						var r struct {
							Result float64 `json:"result"`
						}
						var re *ReplyError
						switch {
						case a.rejection != "" && errors.As(err, &re) && re.Error() == a.rejection:
						case a.rejection == "" && err == nil && json.Unmarshal(reply, &r) == nil && r.Result == a.result:
						default:
							t.Errorf("client %d asked %s: got %s, %v", i, a.request, reply, err)
						}
					})
				}
				wg.Wait()
				time.Sleep(200 * time.Millisecond)
			}
			waitHandled(t, api, w, len(want))
			t.Logf("the worker opened its stream %d times", cuts.Load())
			if n := cuts.Load(); n < 4 {
				t.Errorf("the worker opened its stream %d times; the test means to cut it more often", n)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(answered) != len(want) {
				t.Errorf("the worker answered on %d reply ports, want %d", len(answered), len(want))
			}
			for id, n := range answered {
				if n != 1 {
					t.Errorf("the worker answered %d times on %s", n, id)
				}
			}
			if p := describe(t, api, w.own); p.Posted != int64(len(want)) || p.Acknowledged != int64(len(want)) {
				t.Errorf("the worker's port afterwards: %+v", p)
			}
		})
	}
}

// TestWorkerRetriesRefusedAnswer refuses the worker's first answers with
// 503, as a store that is briefly unavailable does: more of them than
// the worker tries one answer, so that the request must also come again
// on a new stream. The answer still reaches the client, once.
func TestWorkerRetriesRefusedAnswer(t *testing.T) {
	t.Parallel()
	var front atomic.Value // the worker's front port, once known
	front.Store("")
	var refused atomic.Int32
	const refusals = replyAttempts + 2
	unavailable := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/ports/"), "/messages")
			if r.Method == http.MethodPost && ok && id != front.Load().(string) && refused.Add(1) <= refusals {
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write([]byte(`{"type":"about:blank","title":"Unavailable","status":503,"code":"store_unavailable","detail":"refused by the test"}`))
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	_, api := apitest.Start(t, apitest.Stores[0].Open(t), unavailable)
	w, answered := startWorker(t, api)
	front.Store(w.front.Id)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	endpoint, err := w.Endpoint(ctx, "refused answers")
	if err != nil {
		t.Fatal(err)
	}
	reply, err := NewClient(api, endpoint, SSE).Send(ctx, json.RawMessage(`{"op":"*","a":6,"b":7}`))
	if err != nil || string(reply) != `{"result":42}` {
		t.Fatalf("Send: %s, %v; want {\"result\":42}", reply, err)
	}
	waitHandled(t, api, w, 1)
	if n := refused.Load(); n <= refusals {
		t.Errorf("the worker tried %d answers; want the %d refused ones and one more", n, refusals)
	}
	if got := answered(); len(got) != 1 {
		t.Errorf("the worker answered on %d reply ports, want 1", len(got))
	}
	if p := describe(t, api, w.own); p.Posted != 1 || p.Acknowledged != 1 {
		t.Errorf("the worker's port afterwards: %+v; want its one request acknowledged", p)
	}
}

// TestWorkerAcknowledgesUndecodable queues a request the service cannot
// decode at the worker's port, after a good one and with nothing behind
// it: the worker acknowledges it away, unanswered, rather than leave it
// queued until another request's acknowledgement sweeps it off.
func TestWorkerAcknowledgesUndecodable(t *testing.T) {
	st := apitest.Stores[1].Open(t).(*redisstore.Store) // only Redis can hold a corrupt entry
	_, api := apitest.Start(t, st, nil)
	w, answered := startWorker(t, api)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	endpoint, err := w.Endpoint(ctx, "undecodable")
	if err != nil {
		t.Fatal(err)
	}
	if reply, err := NewClient(api, endpoint, SSE).Send(ctx, json.RawMessage(`{"op":"+","a":1,"b":2}`)); err != nil || string(reply) != `{"result":3}` {
		t.Fatalf("Send: %s, %v", reply, err)
	}
	if _, err := redisstore.AppendRawEntry(ctx, st, w.own.Id, "d", "{not json", "s", w.front.Id, "t", "1763731800456"); err != nil {
		t.Fatal(err)
	}
	waitHandled(t, api, w, 2)
	if p := describe(t, api, w.own); p.Posted != 2 || p.Acknowledged != 2 || p.Queued != 0 {
		t.Errorf("the worker's port afterwards: %+v; want both acknowledged", p)
	}
	if n := len(answered()); n != 1 {
		t.Errorf("the worker answered %d requests, want the good one only", n)
	}
}

// TestEndpointTokenOnlyPosts checks what a client's endpoint token cannot
// do: read, acknowledge or close the worker's port, or give it away
// inside a message.
func TestEndpointTokenOnlyPosts(t *testing.T) {
	_, api := apitest.Start(t, apitest.Stores[0].Open(t), nil)
	w, _ := startWorker(t, api)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	endpoint, err := w.Endpoint(ctx, "scope check")
	if err != nil {
		t.Fatal(err)
	}
	bearer := client.Bearer(endpoint.Token)
	l, err := api.ListMessagesWithResponse(ctx, endpoint.Id, nil, bearer)
	wantRefused(t, "read", l, err, l.ApplicationproblemJSON403)
	c, err := api.ClosePortWithResponse(ctx, endpoint.Id, bearer)
	wantRefused(t, "close", c, err, c.ApplicationproblemJSON403)
	tr, err := api.TransferPortWithResponse(ctx, endpoint.Id, &client.TransferPortParams{IdempotencyKey: "scope-check"}, bearer)
	wantRefused(t, "transfer", tr, err, tr.ApplicationproblemJSON403)

	// Posting with it works, and the reply still comes.
	reply, err := NewClient(api, endpoint, SSE).Send(ctx, json.RawMessage(`{"op":"-","a":50,"b":8}`))
	if err != nil || string(reply) != `{"result":42}` {
		t.Errorf("Send: %s, %v; want {\"result\":42}", reply, err)
	}
}

func wantRefused(t *testing.T, what string, res response, err error, p *client.Problem) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s with a post token: %v", what, err)
	}
	if res.StatusCode() != http.StatusForbidden || p == nil || p.Code != client.ProblemCodeInsufficientScope {
		t.Errorf("%s with a post token: %d %s; want 403 insufficient_scope", what, res.StatusCode(), res.GetBody())
	}
}

// TestSendClosesOnCancel gives up on a worker that never answers: Send
// returns the context's error in either mode, and the reply channel is
// closed all the same.
func TestSendClosesOnCancel(t *testing.T) {
	t.Parallel()
	_, api := apitest.Start(t, apitest.Stores[0].Open(t), nil)
	// A worker that is never served: requests pile up unanswered.
	w, err := NewWorker(context.Background(), api, Calculate, nil)
	if err != nil {
		t.Fatal(err)
	}
	endpoint, err := w.Endpoint(context.Background(), "nobody answers")
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []Mode{SSE, LongPoll} {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		reply, mine, err := NewClient(api, endpoint, mode).send(ctx, json.RawMessage(`{"op":"+","a":1,"b":1}`))
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || reply != nil {
			t.Errorf("%s: Send with nobody answering: %s, %v; want the deadline", mode, reply, err)
		}
		if p := describe(t, api, mine); p.State != client.StateClosed {
			t.Errorf("%s: the reply channel after giving up: %+v", mode, p)
		}
	}
}

// TestWorkerGoneRejects checks that a worker that closes the reply
// channel instead of answering makes Send fail, rather than hang, in
// either mode.
func TestWorkerGoneRejects(t *testing.T) {
	_, api := apitest.Start(t, apitest.Stores[0].Open(t), nil)
	// A worker that is never served (its Handler is never called): the
	// test reads each request in its place and closes its reply port.
	w, err := NewWorker(context.Background(), api, Calculate, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	endpoint, err := w.Endpoint(ctx, "closer")
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []Mode{SSE, LongPoll} {
		done := make(chan error, 1)
		go func() {
			_, err := NewClient(api, endpoint, mode).Send(ctx, json.RawMessage(`"anyone?"`))
			done <- err
		}()
		wait := 10
		l, err := api.ListMessagesWithResponse(ctx, w.own.Id, &client.ListMessagesParams{Wait: &wait}, client.Bearer(w.own.Token))
		if err != nil {
			t.Fatalf("%s: the worker's read: %v", mode, err)
		}
		if l.JSON200 == nil || len(l.JSON200.Messages) != 1 || len(l.JSON200.Messages[0].Ports) != 1 {
			t.Fatalf("%s: the worker's read: %d %s", mode, l.StatusCode(), l.Body)
		}
		reply := l.JSON200.Messages[0].Ports[0]
		if c, err := api.ClosePortWithResponse(ctx, reply.Id, client.Bearer(reply.Token)); err != nil {
			t.Fatalf("%s: close the reply port: %v", mode, err)
		} else if c.StatusCode() != http.StatusNoContent {
			t.Fatalf("%s: close the reply port: %d %s", mode, c.StatusCode(), c.Body)
		}
		if err := <-done; !errors.Is(err, errNoReply) {
			t.Errorf("%s: Send when the reply channel closes unanswered: %v; want %v", mode, err, errNoReply)
		}
		if a, err := api.AckMessagesWithResponse(ctx, w.own.Id, client.AckRequest{Through: l.JSON200.Next}, client.Bearer(w.own.Token)); err != nil {
			t.Fatalf("%s: ack: %v", mode, err)
		} else if a.StatusCode() != http.StatusNoContent {
			t.Fatalf("%s: ack: %d %s", mode, a.StatusCode(), a.Body)
		}
	}
}

// TestRun runs the command as a user would, against a real tincan, in
// each mode.
func TestRun(t *testing.T) {
	url, _ := apitest.Start(t, apitest.Stores[0].Open(t), nil)
	for _, mode := range []string{"sse", "poll", "mixed"} {
		var out, errs strings.Builder
		if err := run(context.Background(), []string{"-url", url, "-clients", "6", "-mode", mode}, &out, &errs); err != nil {
			t.Fatalf("-mode %s: %v; stderr %s", mode, err, errs.String())
		}
		for i := range 6 {
			var c Calculation
			_ = json.Unmarshal(sampleRequest(i), &c)
			var want string
			switch c.Op {
			case "+":
				want = fmt.Sprintf(`resolved: {"result":%v}`, c.A+c.B)
			case "*":
				want = fmt.Sprintf(`resolved: {"result":%v}`, c.A*c.B)
			default:
				want = "rejected: division by zero"
			}
			m := mode
			if mode == "mixed" {
				m = []string{"sse", "poll"}[i%2]
			}
			line := fmt.Sprintf("client %d (%s): %s %s\n", i, m, sampleRequest(i), want)
			if !strings.Contains(out.String(), line) {
				t.Errorf("-mode %s: output lacks %q:\n%s", mode, line, out.String())
			}
		}
		if errs.Len() != 0 {
			t.Errorf("-mode %s: stderr %s", mode, errs.String())
		}
	}
	var out, errs strings.Builder
	if err := run(context.Background(), []string{"-url", url, "-mode", "carrier-pigeon"}, &out, &errs); err == nil {
		t.Errorf("-mode carrier-pigeon: no error")
	}
}

// TestErrorMember checks which replies reject: those whose "error" is
// truthy in JavaScript, as `if (event.data.error)` reads them.
func TestErrorMember(t *testing.T) {
	for data, rejects := range map[string]bool{
		`{"error":"no"}`:       true,
		`{"error":{"code":1}}`: true,
		`{"error":{}}`:         true,
		`{"error":[]}`:         true,
		`{"error":true}`:       true,
		`{"error":-1}`:         true,
		`{"error":""}`:         false,
		`{"error":0}`:          false,
		`{"error":false}`:      false,
		`{"error":null}`:       false,
		`{"result":1}`:         false,
		`"error"`:              false,
		`["error"]`:            false,
		`null`:                 false,
		` {"error":"x"}`:       true,
	} {
		if _, got := errorMember(json.RawMessage(data)); got != rejects {
			t.Errorf("%s: rejects %v, want %v", data, got, rejects)
		}
	}
}

// waitHandled waits until the worker has acknowledged n requests. A
// client's Send returns once the answer is in, which can be before the
// worker is told its post went through (Answered) and acknowledges.
func waitHandled(t *testing.T, api *client.ClientWithResponses, w *Worker, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p := describe(t, api, w.own)
		if p.Acknowledged >= int64(n) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker acknowledged %d requests in 10 s, want %d", p.Acknowledged, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func describe(t *testing.T, api *client.ClientWithResponses, p client.PortCredentials) client.Port {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	res, err := api.DescribePortWithResponse(ctx, p.Id, client.Bearer(p.Token))
	if err != nil {
		t.Fatalf("describe %s: %v", p.Id, err)
	}
	if res.JSON200 == nil {
		t.Fatalf("describe %s: %d %s", p.Id, res.StatusCode(), res.Body)
	}
	return *res.JSON200
}
