package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	gosse "github.com/tmaxmax/go-sse"

	"github.com/tincan-dev/tincan/api/client"
)

// Handler computes the answer to one request. An error becomes the reply
// {"error": "<its text>"}, which the client's Send rejects with.
type Handler func(ctx context.Context, request json.RawMessage) (json.RawMessage, error)

// Worker answers requests that arrive at the port it holds, in the manner
// of a service worker: each request carries a reply port in its transfer
// list, and the worker posts its answer there, through the fresh token the
// message delivered with the port. Clients never see the worker's own
// token; they post to the peer port with a post-scoped token (Endpoint).
type Worker struct {
	api    *client.ClientWithResponses
	handle Handler
	logger *slog.Logger
	// own is the port the worker reads; front is its peer, the one
	// clients post to. Both tokens are the full ones and stay here.
	own, front client.PortCredentials
	// Answered, if set, is told of every reply port the worker answered
	// on, after the answer is stored (again if the request came again,
	// its acknowledgement lost: the answer, under the same key, is not
	// stored twice).
	Answered func(reply client.PortCredentials)
}

// NewWorker creates the worker's channel. Serve then answers what clients
// post to the endpoint that Endpoint hands out; Close closes the channel.
func NewWorker(ctx context.Context, api *client.ClientWithResponses, handle Handler, logger *slog.Logger) (*Worker, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	res, err := api.CreateChannelWithResponse(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("create the worker's channel: %w", err)
	}
	if res.JSON201 == nil {
		return nil, fmt.Errorf("create the worker's channel: %w", refusal(res))
	}
	return &Worker{api: api, handle: handle, logger: logger, own: res.JSON201.Port2, front: res.JSON201.Port1}, nil
}

// Endpoint mints a post-scoped token for the port clients post to, and
// answers it with that port's id: all a client needs, and all it gets. A
// client holding it can post requests (and describe the port) but cannot
// read, acknowledge, close or transfer anything of the worker's.
func (w *Worker) Endpoint(ctx context.Context, label string) (client.PortCredentials, error) {
	res, err := w.api.MintTokenWithResponse(ctx, w.front.Id, client.MintTokenRequest{
		Scope: client.MintTokenRequestScopePost,
		Label: &label,
	}, client.Bearer(w.front.Token))
	if err != nil {
		return client.PortCredentials{}, fmt.Errorf("mint a post token: %w", err)
	}
	if res.JSON201 == nil {
		return client.PortCredentials{}, fmt.Errorf("mint a post token: %w", refusal(res))
	}
	return client.PortCredentials{Id: w.front.Id, Token: res.JSON201.Token}, nil
}

// Serve reads the worker's port over Server-Sent Events and answers each
// request in turn, acknowledging it once answered. When the stream drops
// it comes back after the last request handled (Last-Event-ID), so that
// nothing is lost (a request whose answer went out but whose
// acknowledgement did not is answered again; the client takes the first
// answer). It returns nil when ctx ends or the worker's channel is closed,
// and an error when the port is transferred away or its stream cannot be
// opened.
//
// Requests are answered one at a time, in the order they came: a slow
// Handler holds up the requests behind it.
//
// A stream that drops after it opened is reopened at once; one that cannot
// be opened is tried again after a growing pause, and after maxFailures
// such tries in a row Serve gives up and answers why.
func (w *Worker) Serve(ctx context.Context) error {
	last := ""
	failures := 0
	for {
		opened, done, err := w.stream(ctx, &last)
		switch {
		case ctx.Err() != nil:
			return nil
		case done:
			return err
		}
		if opened {
			failures = 0
		}
		failures++
		if failures > maxFailures {
			return err
		}
		w.logger.Warn("worker stream dropped; reconnecting", "err", err, "after", last)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Duration(failures-1) * 200 * time.Millisecond):
		}
	}
}

// maxFailures is how many times in a row Serve tries to open its stream
// before it gives up.
const maxFailures = 5

// stream reads one event stream of the worker's port, from after *last,
// answering each request and moving *last past it. It answers whether the
// stream opened, done when the channel was closed, and otherwise why the
// stream ended.
func (w *Worker) stream(ctx context.Context, last *string) (opened, done bool, err error) {
	var params *client.StreamEventsParams
	if *last != "" {
		params = &client.StreamEventsParams{LastEventID: last}
	}
	res, err := w.api.StreamEvents(ctx, w.own.Id, params, client.Bearer(w.own.Token))
	if err != nil {
		return false, false, err
	}
	defer res.Body.Close()
	switch res.StatusCode {
	case http.StatusOK:
	case http.StatusNoContent: // closed, nothing left to read
		return false, true, nil
	default:
		body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		return false, false, fmt.Errorf("stream: %d %s", res.StatusCode, body)
	}
	for ev, err := range gosse.Read(res.Body, nil) {
		if err != nil {
			return true, false, err
		}
		switch ev.Type {
		case "message":
			var m client.MessageEvent
			if err := json.Unmarshal([]byte(ev.Data), &m); err != nil {
				return true, false, fmt.Errorf("a message event: %w", err)
			}
			if err := w.answer(ctx, m); err != nil {
				return true, false, err
			}
			*last = m.Id
		case "messageerror":
			// A request the service cannot decode: nobody can answer it,
			// and left unacknowledged it would stay queued for good.
			var m client.MessageErrorEvent
			if err := json.Unmarshal([]byte(ev.Data), &m); err != nil {
				return true, false, fmt.Errorf("a messageerror event: %w", err)
			}
			w.logger.Warn("a request that cannot be decoded", "id", m.Id, "err", m.Error)
			if err := w.ack(ctx, m.Id); err != nil {
				return true, false, err
			}
			*last = m.Id
		case "reset":
			// The stream goes on after another point than *last: after
			// rewound_to when the service no longer knows *last (a
			// failover took back what came after rewound_to, and its ids
			// may be issued again, to other requests), after
			// acked_through when what came after *last was acknowledged
			// elsewhere. Resuming from *last would only meet the same
			// reset again, or, once ids are issued again past *last,
			// skip (and acknowledge) requests nobody answered.
			var r client.ResetEvent
			if err := json.Unmarshal([]byte(ev.Data), &r); err != nil {
				return true, false, fmt.Errorf("a reset event: %w", err)
			}
			if r.RewoundTo != nil {
				w.logger.Warn("the service lost requests after the worker's resume point; going on after what it knows",
					"after", *last, "rewound_to", *r.RewoundTo)
				*last = *r.RewoundTo
			} else {
				*last = r.AckedThrough
			}
		case "close":
			return true, true, nil
		case "transferred":
			return true, true, errors.New("the worker's port was transferred away")
		}
	}
	return true, false, io.ErrUnexpectedEOF
}

// answer computes the reply to m, posts it on the port m carries, and
// acknowledges m. A request without a reply port, or whose reply port is
// gone (its client gave up), is acknowledged all the same: nobody waits
// for it.
//
// The answer's Idempotency-Key is made from m's id, so that a request
// delivered again (its acknowledgement was lost, or its answer's outcome
// was still unknown when reply gave up) is answered under the same key:
// its answer, if stored before, is not stored twice. One key per reply
// port is enough, since the service keeps a post's key per port and
// token, and each request carries a reply port of its own.
func (w *Worker) answer(ctx context.Context, m client.Message) error {
	if len(m.Ports) == 0 {
		w.logger.Warn("a request without a reply port", "id", m.Id)
		return w.ack(ctx, m.Id)
	}
	reply := m.Ports[0]
	data, err := w.handle(ctx, m.Data)
	if err != nil {
		data, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	res, err := w.reply(ctx, reply, "answer-"+m.Id, data)
	switch {
	case err != nil:
		return fmt.Errorf("answer on %s: %w", reply.Id, err)
	case res.JSON201 == nil:
		// Refused for good: the client closed its reply channel before
		// the answer came (or, if the handler answers differently each
		// time, 422 idempotency_key_reused: an answer went already).
		w.logger.Warn("could not answer", "reply_port", reply.Id, "err", refusal(res))
	case w.Answered != nil:
		w.Answered(reply)
	}
	return w.ack(ctx, m.Id)
}

// replyAttempts is how many times reply sends an answer, while tincan's
// response to it is lost or passing, before it gives up.
const replyAttempts = postAttempts

// reply posts data on the reply port under key (see postOnce). When the
// answer is still lost or passing after replyAttempts, it answers an
// error, so that the request stays unacknowledged and comes again; any
// other answer is the caller's to read.
func (w *Worker) reply(ctx context.Context, reply client.PortCredentials, key string, data json.RawMessage) (*client.PostMessageResponse, error) {
	res, err := postOnce(ctx, w.api, reply, key, client.PostMessageRequest{Data: data}, replyAttempts)
	switch {
	case err != nil:
		return nil, err
	case passing(res):
		return nil, refusal(res)
	}
	return res, nil
}

func (w *Worker) ack(ctx context.Context, id string) error {
	res, err := w.api.AckMessagesWithResponse(ctx, w.own.Id, client.AckRequest{Through: id}, client.Bearer(w.own.Token))
	if err != nil {
		return fmt.Errorf("acknowledge %s: %w", id, err)
	}
	if res.StatusCode() != http.StatusNoContent {
		return fmt.Errorf("acknowledge %s: %w", id, refusal(res))
	}
	return nil
}

// Close closes the worker's channel: clients' posts get 410 port_closed
// from then on, and Serve returns.
func (w *Worker) Close(ctx context.Context) error {
	res, err := w.api.ClosePortWithResponse(ctx, w.own.Id, client.Bearer(w.own.Token))
	if err != nil {
		return err
	}
	if res.StatusCode() != http.StatusNoContent {
		return refusal(res)
	}
	return nil
}

// response is what every generated response has.
type response interface {
	StatusCode() int
	GetBody() []byte
}

// refusal describes an answer that was not the one hoped for.
func refusal(res response) error {
	var p client.Problem
	if json.Unmarshal(res.GetBody(), &p) == nil && p.Code != "" {
		return fmt.Errorf("%d %s: %s", p.Status, p.Code, p.Detail)
	}
	return fmt.Errorf("status %d: %.200s", res.StatusCode(), res.GetBody())
}
