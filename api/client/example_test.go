package client_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/tincan-dev/tincan/api/client"
	"github.com/tincan-dev/tincan/handlers"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/memory"
)

// hello is docs/GUIDE.md's Go example, word for word (TestGuideGoExample
// checks): a channel, a message from port1 read at port2, and a close.
func hello(ctx context.Context, server string) error {
	c, err := client.NewClientWithResponses(server)
	if err != nil {
		return err
	}
	// const {port1, port2} = new MessageChannel()
	created, err := c.CreateChannelWithResponse(ctx, nil)
	if err != nil {
		return err
	}
	if created.JSON201 == nil {
		return fmt.Errorf("create: %d %s", created.StatusCode(), created.Body)
	}
	port1, port2 := created.JSON201.Port1, created.JSON201.Port2

	// port1.postMessage({hello: "world"}); each call carries its port's
	// token, and each post a key of its own, sent again unchanged if the
	// post is retried (no answer, 503), so that the message is stored once.
	key := client.NewIdempotencyKey()
	posted, err := c.PostMessageWithResponse(ctx, port1.Id,
		&client.PostMessageParams{IdempotencyKey: &key},
		client.PostMessageRequest{Data: json.RawMessage(`{"hello":"world"}`)},
		client.Bearer(port1.Token))
	if err != nil {
		return err
	}
	if posted.JSON201 == nil {
		return fmt.Errorf("post: %d %s", posted.StatusCode(), posted.Body)
	}

	// Read at port2, waiting up to 30 s for a message; then acknowledge.
	wait := 30
	read, err := c.ListMessagesWithResponse(ctx, port2.Id,
		&client.ListMessagesParams{Wait: &wait}, client.Bearer(port2.Token))
	if err != nil {
		return err
	}
	if read.JSON200 == nil {
		return fmt.Errorf("read: %d %s", read.StatusCode(), read.Body)
	}
	for _, m := range read.JSON200.Messages {
		fmt.Printf("port2 got %s\n", m.Data)
	}
	acked, err := c.AckMessagesWithResponse(ctx, port2.Id,
		client.AckRequest{Through: read.JSON200.Next}, client.Bearer(port2.Token))
	if err != nil {
		return err
	}
	if acked.StatusCode() != http.StatusNoContent {
		return fmt.Errorf("ack: %d %s", acked.StatusCode(), acked.Body)
	}

	// port2.close(): now port1's posts are refused with a problem.
	closed, err := c.ClosePortWithResponse(ctx, port2.Id, client.Bearer(port2.Token))
	if err != nil {
		return err
	}
	if closed.StatusCode() != http.StatusNoContent {
		return fmt.Errorf("close: %d %s", closed.StatusCode(), closed.Body)
	}
	key = client.NewIdempotencyKey()
	again, err := c.PostMessageWithResponse(ctx, port1.Id,
		&client.PostMessageParams{IdempotencyKey: &key},
		client.PostMessageRequest{Data: json.RawMessage(`"anyone there?"`)},
		client.Bearer(port1.Token))
	if err != nil {
		return err
	}
	if p := again.ApplicationproblemJSON410; p != nil {
		fmt.Printf("port1 after close: %d %s\n", p.Status, p.Code)
	}
	return nil
}

// The guide's example, run against a real tincan on loopback.
func ExampleClientWithResponses() {
	st := memory.New(store.Limits{})
	defer st.Close()
	srv := handlers.NewServer(slog.New(slog.DiscardHandler), st, handlers.Config{})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.CloseStreams()

	if err := hello(context.Background(), ts.URL); err != nil {
		fmt.Println(err)
	}
	// Output:
	// port2 got {"hello":"world"}
	// port1 after close: 410 port_closed
}
