package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// target is one server under test.
type target struct {
	// name labels the target's rows: relay, api-redis, api-memory, ...
	name string
	// base is its http://host:port: its first instance's, where set-up
	// requests go.
	base string
	// bases are every instance's http://host:port, base first: one, but
	// for the row of two api instances on one Redis.
	bases []string
	// debugAddr serves the first instance's pprof pages; empty for the
	// relay.
	debugAddr string
	// procs are its server processes, one per instance.
	procs []*child
	// redis are the redis-servers it keeps its data in: none for the
	// embedded store, one, or each primary of a Cluster.
	redis []*child
	// acks says the target's readers acknowledge what they read (the api;
	// the relay has no acknowledgement).
	acks bool
	// ackEvery, when set, spaces a reader's acknowledgements at least
	// that far apart (each still through the newest id read).
	ackEvery time.Duration
}

// channel is where one flow posts and reads: a post URL with its token and
// an events URL with its token, whose port is readID, served by the
// instance at readBase (where its reader acknowledges).
type channel struct {
	postURL, postToken     string
	eventsURL, eventsToken string
	readID, readBase       string
}

// portJSON is one port of a POST /channels answer.
type portJSON struct {
	ID    string `json:"id"`
	Token string `json:"token"`
}

// newChannel creates the i-th channel of a flow: posts go through port 1,
// reads through port 2. On a target of several instances, channel i is
// created and posted to on instance i, and read (and acknowledged) on the
// next one: every message crosses from one instance to another through
// Redis, as it does behind a load balancer that puts a channel's two ends
// on different instances, and the posters and readers are spread evenly
// over the instances.
func (t *target) newChannel(ctx context.Context, client *http.Client, i int) (channel, error) {
	postBase, readBase := t.bases[i%len(t.bases)], t.bases[(i+1)%len(t.bases)]
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, postBase+"/channels", nil)
	if err != nil {
		return channel{}, err
	}
	resp, err := doWaitingOut429(ctx, client, req)
	if err != nil {
		return channel{}, fmt.Errorf("%s: create a channel: %w", t.name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return channel{}, fmt.Errorf("%s: create a channel: %w", t.name, err)
	}
	if resp.StatusCode != http.StatusCreated {
		return channel{}, fmt.Errorf("%s: create a channel: %d %s", t.name, resp.StatusCode, bytes.TrimSpace(body))
	}
	var ch struct{ Port1, Port2 portJSON }
	if err := json.Unmarshal(body, &ch); err != nil {
		return channel{}, fmt.Errorf("%s: create a channel: %w", t.name, err)
	}
	return channel{
		postURL: postBase + "/ports/" + ch.Port1.ID + "/messages", postToken: ch.Port1.Token,
		eventsURL: readBase + "/ports/" + ch.Port2.ID + "/events", eventsToken: ch.Port2.Token,
		readID: ch.Port2.ID, readBase: readBase,
	}, nil
}

// maxWaits bounds how many 429 answers in a row doWaitingOut429 waits out.
const maxWaits = 30

// doWaitingOut429 sends req, a request without a body, and while it is
// refused with 429 waits as Retry-After says (a second if it says
// nothing) and sends it again, as a client must that creates channels or
// opens streams faster than the api's limits on creations allow; the
// rows on the shipped defaults meet them while setting up. It returns the
// last answer.
func doWaitingOut429(ctx context.Context, client *http.Client, req *http.Request) (*http.Response, error) {
	for waits := 0; ; waits++ {
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode != http.StatusTooManyRequests || waits == maxWaits {
			return resp, err
		}
		wait := time.Second
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			wait = time.Duration(s) * time.Second
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// post sends one text message and reads the whole answer, so that the
// keep-alive connection is reused.
func post(ctx context.Context, client *http.Client, ch channel, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ch.postURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	if ch.postToken != "" {
		req.Header.Set("Authorization", "Bearer "+ch.postToken)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("post: %d %s", resp.StatusCode, bytes.TrimSpace(answer))
	}
	return nil
}

// newClient is an HTTP client that keeps up to conns connections alive
// per host; streams set no overall timeout.
func newClient(conns int, timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
	}
}
