package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	gosse "github.com/tmaxmax/go-sse"

	"github.com/tincan-dev/tincan/api/client"
)

// Mode is how a client waits for its reply.
type Mode string

const (
	// SSE reads the reply port's event stream.
	SSE Mode = "sse"
	// LongPoll asks GET /ports/{id}/messages?wait=... until the reply
	// comes: for clients that cannot hold a stream open.
	LongPoll Mode = "poll"
)

// pollWait is the wait of each long poll, in seconds; the server clamps
// it to its LONG_POLL_MAX_WAIT.
const pollWait = 30

// Client sends requests to a worker through the worker's endpoint (a port
// id and a post-scoped token for it).
type Client struct {
	api      *client.ClientWithResponses
	endpoint client.PortCredentials
	mode     Mode
}

// NewClient returns a client that posts to endpoint and waits for replies
// the way mode says.
func NewClient(api *client.ClientWithResponses, endpoint client.PortCredentials, mode Mode) *Client {
	return &Client{api: api, endpoint: endpoint, mode: mode}
}

// ReplyError is a reply that rejects: the worker answered an object whose
// "error" member is truthy, as JavaScript reads it. Value is that member,
// as the worker wrote it.
type ReplyError struct {
	Value json.RawMessage
}

func (e *ReplyError) Error() string {
	var s string
	if json.Unmarshal(e.Value, &s) == nil {
		return s
	}
	return string(e.Value)
}

// Send is the service-worker docs' sendMessage: it makes a fresh channel
// (new MessageChannel()), posts request to the worker with one port of it
// in the transfer list (controller.postMessage(message, [port2])), and
// waits on the other for the answer. It answers the reply's data, or a
// *ReplyError when the reply is {"error": ...} with a truthy error (the
// promise rejects). Either way, the reply channel is closed before Send
// returns.
func (c *Client) Send(ctx context.Context, request json.RawMessage) (json.RawMessage, error) {
	reply, _, err := c.send(ctx, request)
	return reply, err
}

// send is Send, also answering the port the client kept (its own token
// with it), so that a test can look at it afterwards.
func (c *Client) send(ctx context.Context, request json.RawMessage) (json.RawMessage, client.PortCredentials, error) {
	created, err := c.api.CreateChannelWithResponse(ctx, nil)
	if err != nil {
		return nil, client.PortCredentials{}, fmt.Errorf("create a reply channel: %w", err)
	}
	if created.JSON201 == nil {
		return nil, client.PortCredentials{}, fmt.Errorf("create a reply channel: %w", refusal(created))
	}
	mine, theirs := created.JSON201.Port1, created.JSON201.Port2
	// However Send ends, the reply channel goes with it; a cancelled ctx
	// must not keep it open.
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_, _ = c.api.ClosePortWithResponse(cctx, mine.Id, client.Bearer(mine.Token))
	}()

	// One key for the request, whatever number of times it is sent: a
	// retry after a lost answer then gets the first answer, where a new
	// key would queue the request twice, or be refused because the reply
	// port it carries already moved with the first.
	posted, err := postOnce(ctx, c.api, c.endpoint, client.NewIdempotencyKey(), client.PostMessageRequest{
		Data:     request,
		Transfer: []client.TransferEntry{{Port: theirs.Id, Token: theirs.Token}},
	}, postAttempts)
	if err != nil {
		return nil, mine, fmt.Errorf("post the request: %w", err)
	}
	if posted.JSON201 == nil {
		return nil, mine, fmt.Errorf("post the request: %w", refusal(posted))
	}

	var m client.Message
	switch c.mode {
	case LongPoll:
		m, err = c.poll(ctx, mine)
	default:
		m, err = c.listen(ctx, mine)
	}
	if err != nil {
		return nil, mine, err
	}
	// Handled: acknowledge it, so that nothing stays queued behind us.
	if res, err := c.api.AckMessagesWithResponse(ctx, mine.Id, client.AckRequest{Through: m.Id}, client.Bearer(mine.Token)); err != nil {
		return nil, mine, fmt.Errorf("acknowledge the reply: %w", err)
	} else if res.StatusCode() != http.StatusNoContent {
		return nil, mine, fmt.Errorf("acknowledge the reply: %w", refusal(res))
	}
	if e, ok := errorMember(m.Data); ok {
		return nil, mine, &ReplyError{Value: e}
	}
	return m.Data, mine, nil
}

// errNoReply is the worker closing the reply channel without answering.
var errNoReply = errors.New("the reply channel was closed without an answer")

// listen waits for the first message at port over its event stream.
func (c *Client) listen(ctx context.Context, port client.PortCredentials) (client.Message, error) {
	res, err := c.api.StreamEvents(ctx, port.Id, nil, client.Bearer(port.Token))
	if err != nil {
		return client.Message{}, fmt.Errorf("stream the reply port: %w", err)
	}
	defer res.Body.Close()
	switch res.StatusCode {
	case http.StatusOK:
	case http.StatusNoContent:
		return client.Message{}, errNoReply
	default:
		body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		return client.Message{}, fmt.Errorf("stream the reply port: %d %s", res.StatusCode, body)
	}
	for ev, err := range gosse.Read(res.Body, nil) {
		if err != nil {
			return client.Message{}, fmt.Errorf("stream the reply port: %w", err)
		}
		switch ev.Type {
		case "message":
			var m client.MessageEvent
			if err := json.Unmarshal([]byte(ev.Data), &m); err != nil {
				return client.Message{}, fmt.Errorf("the reply: %w", err)
			}
			return m, nil
		case "close", "transferred":
			return client.Message{}, errNoReply
		}
	}
	if ctx.Err() != nil {
		return client.Message{}, ctx.Err()
	}
	return client.Message{}, fmt.Errorf("stream the reply port: %w", io.ErrUnexpectedEOF)
}

// poll waits for the first message at port by long polls.
func (c *Client) poll(ctx context.Context, port client.PortCredentials) (client.Message, error) {
	wait := pollWait
	for {
		res, err := c.api.ListMessagesWithResponse(ctx, port.Id, &client.ListMessagesParams{Wait: &wait}, client.Bearer(port.Token))
		if err != nil {
			return client.Message{}, fmt.Errorf("poll the reply port: %w", err)
		}
		l := res.JSON200
		if l == nil {
			return client.Message{}, fmt.Errorf("poll the reply port: %w", refusal(res))
		}
		switch {
		case len(l.Messages) > 0:
			return l.Messages[0], nil
		case l.State == client.StateClosed:
			return client.Message{}, errNoReply
		}
	}
}

// errorMember answers the "error" member of data when data is an object
// and the member is truthy in JavaScript's sense (not false, 0, "", null),
// which is what sendMessage's `if (event.data.error)` tests.
func errorMember(data json.RawMessage) (json.RawMessage, bool) {
	var obj map[string]json.RawMessage
	if !bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) || json.Unmarshal(data, &obj) != nil {
		return nil, false
	}
	e, ok := obj["error"]
	if !ok {
		return nil, false
	}
	var v any
	if json.Unmarshal(e, &v) != nil {
		return nil, false
	}
	switch v := v.(type) {
	case nil:
		return nil, false
	case bool:
		return e, v
	case float64:
		return e, v != 0
	case string:
		return e, v != ""
	default: // objects and arrays are truthy, even empty ones
		return e, true
	}
}
