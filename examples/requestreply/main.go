// Command requestreply shows request/reply over tincan, the service-worker
// way: a worker holds one port of a channel, clients post requests to the
// other through a post-scoped token, each request carries a fresh reply
// port in its transfer list, and the worker answers on that port. Clients
// wait for their answer over Server-Sent Events or by long polls.
//
//	go run ./cmd/api &
//	go run ./examples/requestreply -url http://localhost:8080 -clients 8 -mode mixed
//
// Every post, a request or an answer, carries an Idempotency-Key and is
// sent again under it when its answer is lost (no answer, 503
// unavailable): it is stored once all the same. The worker resumes its
// stream where the service tells it to when a failover took back what
// it had seen (an `event: reset` with rewound_to).
//
// It uses nothing but the generated Go client (api/client).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/tincan-dev/tincan/api/client"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "requestreply:", err)
		os.Exit(1)
	}
}

// run starts a worker, sends one request from each of a number of
// concurrent clients, prints what each got, and closes the worker.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("requestreply", flag.ContinueOnError)
	flags.SetOutput(stderr)
	url := flags.String("url", "http://localhost:8080", "tincan's base URL")
	clients := flags.Int("clients", 6, "how many clients send a request at once")
	mode := flags.String("mode", "mixed", "how clients wait for replies: sse, poll, or mixed (alternating)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *mode != "sse" && *mode != "poll" && *mode != "mixed" {
		return fmt.Errorf("-mode %q: want sse, poll or mixed", *mode)
	}
	api, err := client.NewClientWithResponses(*url)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	worker, err := NewWorker(ctx, api, Calculate, logger)
	if err != nil {
		return err
	}
	serveCtx, stopServing := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- worker.Serve(serveCtx) }()
	defer func() {
		stopServing()
		<-served
	}()
	endpoint, err := worker.Endpoint(ctx, "requestreply clients")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "worker listens on its port; clients post to %s with a post-scoped token\n", endpoint.Id)

	sendCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	lines := make([]string, *clients)
	var wg sync.WaitGroup
	for i := range *clients {
		m := Mode(*mode)
		if *mode == "mixed" {
			m = []Mode{SSE, LongPoll}[i%2]
		}
		req := sampleRequest(i)
		wg.Go(func() {
			reply, err := NewClient(api, endpoint, m).Send(sendCtx, req)
			var rejected *ReplyError
			switch {
			case errors.As(err, &rejected):
				lines[i] = fmt.Sprintf("client %d (%s): %s rejected: %s", i, m, req, rejected)
			case err != nil:
				lines[i] = fmt.Sprintf("client %d (%s): %s failed: %v", i, m, req, err)
			default:
				lines[i] = fmt.Sprintf("client %d (%s): %s resolved: %s", i, m, req, reply)
			}
		})
	}
	wg.Wait()
	for _, l := range lines {
		fmt.Fprintln(stdout, l)
	}
	return worker.Close(ctx)
}

// sampleRequest is client i's request in the demo: every third one
// divides by zero, to show a rejection.
func sampleRequest(i int) json.RawMessage {
	ops := []string{"+", "*", "/"}
	b := i + 1
	if i%3 == 2 {
		b = 0
	}
	req, _ := json.Marshal(Calculation{Op: ops[i%3], A: float64(10 * (i + 1)), B: float64(b)})
	return req
}

// Calculation is the worker's request: {"op": "+", "a": 6, "b": 7}.
type Calculation struct {
	Op string  `json:"op"`
	A  float64 `json:"a"`
	B  float64 `json:"b"`
}

// Calculate is the worker's Handler: the answer to a Calculation is
// {"result": ...}; what it cannot compute is an error.
func Calculate(_ context.Context, request json.RawMessage) (json.RawMessage, error) {
	var c Calculation
	if err := json.Unmarshal(request, &c); err != nil {
		return nil, errors.New(`a request is {"op": "+", "a": 6, "b": 7}`)
	}
	var r float64
	switch c.Op {
	case "+":
		r = c.A + c.B
	case "-":
		r = c.A - c.B
	case "*":
		r = c.A * c.B
	case "/":
		if c.B == 0 {
			return nil, errors.New("division by zero")
		}
		r = c.A / c.B
	default:
		return nil, fmt.Errorf("unknown op %q: want + - * or /", c.Op)
	}
	return json.Marshal(map[string]float64{"result": r})
}
