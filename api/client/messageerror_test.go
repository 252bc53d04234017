package client_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/tincan-dev/tincan/api/client"
	"github.com/tincan-dev/tincan/internal/apitest"
	redisstore "github.com/tincan-dev/tincan/store/redis"
)

// A typed client sees a message's origin, and an undecodable message in
// message_errors, with next past it, on a real tincan over Redis.
func TestOriginAndMessageErrors(t *testing.T) {
	var redisOpen func(t *testing.T) *redisstore.Store
	for _, s := range apitest.Stores {
		if s.Name == "redis" {
			redisOpen = func(t *testing.T) *redisstore.Store { return s.Open(t).(*redisstore.Store) }
		}
	}
	st := redisOpen(t)
	_, c := apitest.Start(t, st, nil)
	ctx, cancel := context.WithTimeout(context.Background(), callLimit)
	defer cancel()

	cres, err := c.CreateChannelWithResponse(ctx, nil)
	mustStatus(t, "create channel", cres, err, http.StatusCreated)
	ch := cres.JSON201

	origin := "https://app.example"
	pres, err := c.PostMessageWithResponse(ctx, ch.Port1.Id, &client.PostMessageParams{Origin: &origin},
		client.PostMessageRequest{Data: json.RawMessage(`{"q":1}`)}, client.Bearer(ch.Port1.Token))
	mustStatus(t, "post with an origin", pres, err, http.StatusCreated)
	bad, err := redisstore.AppendRawEntry(ctx, st, ch.Port2.Id, "d", "{not json", "s", ch.Port1.Id, "t", "1763731800456")
	if err != nil {
		t.Fatal(err)
	}
	plain := "not an origin/"
	rres, err := c.PostMessageWithResponse(ctx, ch.Port1.Id, &client.PostMessageParams{Origin: &plain},
		client.PostMessageRequest{Data: json.RawMessage(`2`)}, client.Bearer(ch.Port1.Token))
	mustStatus(t, "post with a malformed origin", rres, err, http.StatusBadRequest)
	if rres.ApplicationproblemJSON400 == nil || rres.ApplicationproblemJSON400.Code != "invalid_request" {
		t.Errorf("malformed origin: %s, want invalid_request", rres.Body)
	}

	lres, err := c.ListMessagesWithResponse(ctx, ch.Port2.Id, nil, client.Bearer(ch.Port2.Token))
	mustStatus(t, "list", lres, err, http.StatusOK)
	l := lres.JSON200
	if len(l.Messages) != 1 || l.Messages[0].Origin != origin || l.Messages[0].Id != pres.JSON201.Id {
		t.Errorf("messages %+v, want the one with origin %s", l.Messages, origin)
	}
	if len(l.MessageErrors) != 1 || l.MessageErrors[0].Id != bad.String() || l.MessageErrors[0].Error != "data is not JSON" || l.Next != bad.String() {
		t.Errorf("message_errors %+v next %q, want %s", l.MessageErrors, l.Next, bad)
	}
}
