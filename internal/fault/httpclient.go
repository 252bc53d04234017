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

// answer is how a request was answered, as far as these tests look at it.
type answer struct {
	// Status is the HTTP status, or 0 when no answer came.
	Status int
	// Code is a problem's code.
	Code string
	// RetryAfter is the Retry-After header.
	RetryAfter string
	// Replayed is the Idempotent-Replayed header.
	Replayed bool
	// Err is why no answer came.
	Err error
}

// String is the answer in a few words, for failure messages.
func (a answer) String() string {
	if a.Status == 0 {
		return fmt.Sprintf("no answer (%v)", a.Err)
	}
	s := fmt.Sprintf("%d", a.Status)
	if a.Code != "" {
		s += " " + a.Code
	}
	return s
}

// do sends req, decodes a 2xx body into v (when v is not nil) and a
// problem's code, and returns the answer.
func (c client) do(req *http.Request, v any) answer {
	res, err := c.http.Do(req)
	if err != nil {
		return answer{Err: err}
	}
	defer res.Body.Close()
	a := answer{Status: res.StatusCode, RetryAfter: res.Header.Get("Retry-After"), Replayed: res.Header.Get("Idempotent-Replayed") == "true"}
	if res.StatusCode >= 300 {
		var p struct{ Code string }
		_ = json.NewDecoder(res.Body).Decode(&p)
		a.Code = p.Code
		return a
	}
	if v != nil {
		if err := json.NewDecoder(res.Body).Decode(v); err != nil {
			// A success whose body broke off is an answer not heard.
			return answer{Err: err}
		}
	}
	return a
}

// transfer asks base to transfer port under an Idempotency-Key, and returns
// the new credentials of a 200.
func (c client) transfer(base string, port portCreds, key string) (portCreds, answer) {
	req, _ := http.NewRequest(http.MethodPost, base+"/ports/"+port.ID+"/transfer", nil)
	req.Header.Set("Authorization", "Bearer "+port.Token)
	req.Header.Set("Idempotency-Key", key)
	var pc portCreds
	a := c.do(req, &pc)
	if a.Status == http.StatusOK && (pc.ID != port.ID || pc.Token == "") {
		return portCreds{}, answer{Err: fmt.Errorf("transfer of %s answered %+v", port.ID, pc)}
	}
	return pc, a
}

// post posts body from `from` under an Idempotency-Key, and returns the
// event id of a 201.
func (c client) post(base string, from portCreds, key, body string) (string, answer) {
	req, _ := http.NewRequest(http.MethodPost, base+"/ports/"+from.ID+"/messages", bytes.NewBufferString(body))
	req.Header.Set("Authorization", "Bearer "+from.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	var m struct{ ID string }
	a := c.do(req, &m)
	return m.ID, a
}

// read lists what waits at port, and returns how it was answered.
func (c client) read(base string, port portCreds) answer {
	req, _ := http.NewRequest(http.MethodGet, base+"/ports/"+port.ID+"/messages", nil)
	req.Header.Set("Authorization", "Bearer "+port.Token)
	return c.do(req, nil)
}

// createChannelAnswer creates a channel through base, and returns how it
// was answered.
func (c client) createChannelAnswer(base string) (channel, answer) {
	req, _ := http.NewRequest(http.MethodPost, base+"/channels", nil)
	var ch channel
	return ch, c.do(req, &ch)
}
