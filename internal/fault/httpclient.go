package fault

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// client is a small HTTP client of the api, for tests that act on single
// channels rather than run a load.
type client struct {
	http *http.Client
}

func newClient() client {
	return client{http: &http.Client{Timeout: 10 * time.Second}}
}

// channel is a created channel's ports.
type channel struct {
	Port1, Port2 portCreds
}

// createChannel creates a channel through base.
func (c client) createChannel(base string) (channel, error) {
	var ch channel
	res, err := c.http.Post(base+"/channels", "", nil)
	if err != nil {
		return ch, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		return ch, fmt.Errorf("create a channel: status %d", res.StatusCode)
	}
	return ch, json.NewDecoder(res.Body).Decode(&ch)
}

// postCarrying posts from `from` a message carrying cargo, and returns the
// status (0 when no answer came).
func (c client) postCarrying(base string, from, cargo portCreds) int {
	body, _ := json.Marshal(map[string]any{"data": "cargo", "transfer": []map[string]string{{"port": cargo.ID, "token": cargo.Token}}})
	req, _ := http.NewRequest(http.MethodPost, base+"/ports/"+from.ID+"/messages", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+from.Token)
	req.Header.Set("Content-Type", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

// message is a delivered message, as far as these tests look at it.
type message struct {
	ID    string
	Ports []portCreds
}

// messages returns what waits at port.
func (c client) messages(base string, port portCreds) ([]message, error) {
	req, _ := http.NewRequest(http.MethodGet, base+"/ports/"+port.ID+"/messages?limit=1000", nil)
	req.Header.Set("Authorization", "Bearer "+port.Token)
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("read %s: status %d", port.ID, res.StatusCode)
	}
	var b struct{ Messages []message }
	return b.Messages, json.NewDecoder(res.Body).Decode(&b)
}

// allMessages returns the ids of everything that waits at port, or none
// when the port is unknown (401): a store that lost the channel.
func (c client) allMessages(base string, port portCreds) (map[string]bool, error) {
	held := map[string]bool{}
	after := ""
	for {
		req, _ := http.NewRequest(http.MethodGet, base+"/ports/"+port.ID+"/messages?limit=1000&after="+after, nil)
		req.Header.Set("Authorization", "Bearer "+port.Token)
		res, err := c.http.Do(req)
		if err != nil {
			return nil, err
		}
		var b struct {
			Messages []message
			Next     string
		}
		err = json.NewDecoder(res.Body).Decode(&b)
		res.Body.Close()
		switch {
		case res.StatusCode == http.StatusUnauthorized:
			return held, nil
		case res.StatusCode != http.StatusOK || err != nil:
			return nil, fmt.Errorf("read %s: status %d %v", port.ID, res.StatusCode, err)
		case len(b.Messages) == 0:
			return held, nil
		}
		for _, m := range b.Messages {
			held[m.ID] = true
		}
		after = b.Next
	}
}

// describeStatus returns the status of GET /ports/{id} with port's token:
// 200 when the token is the port's, 401 or 403 when it is not.
func (c client) describeStatus(base string, port portCreds) (int, error) {
	req, _ := http.NewRequest(http.MethodGet, base+"/ports/"+port.ID, nil)
	req.Header.Set("Authorization", "Bearer "+port.Token)
	res, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}
