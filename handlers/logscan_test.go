package handlers

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tincan-dev/tincan/store"
)

// TestLogScanSeesServerLogs: a test server's log, debug lines included,
// reaches the scan TestMain runs, with secrets around (tokens in the
// query, bad Authorization headers, an API key where a port token
// belongs) and none of them logged; a token planted in the log is caught,
// by the secret recorded from the answer and by its shape.
func TestLogScanSeesServerLogs(t *testing.T) {
	e := memoryEnv()
	c := e.server(t)
	ch := c.createChannel()
	c.send(ch.Port2, `"hello"`)
	c.do(req{method: "GET", path: "/ports/" + ch.Port1.ID + "/messages?access_token=" + ch.Port1.Token}).want(t, http.StatusOK)
	c.do(req{method: "GET", path: "/ports/" + ch.Port1.ID + "/messages?access_token=" + ch.Port2.Token}).wantProblem(t, http.StatusUnauthorized, "unauthorized")
	c.do(req{method: "GET", path: "/ports/" + ch.Port1.ID, header: map[string]string{"Authorization": "Basic " + ch.Port1.Token}}).
		wantProblem(t, http.StatusUnauthorized, "unauthorized")
	c.do(req{method: "POST", path: "/ports/" + ch.Port1.ID + "/close", token: apiKey}).wantProblem(t, http.StatusUnauthorized, "unauthorized")

	logged := c.logs.scan.String()
	if !strings.Contains(logged, "level=DEBUG") || !strings.Contains(logged, `msg="request refused"`) || !strings.Contains(logged, "status=401") {
		t.Fatalf("the scan does not see the debug log of refusals:\n%s", logged)
	}
	if f := c.logs.scan.Scan(); len(f) != 0 {
		t.Fatalf("secrets logged: %v", f)
	}

	recorded := ch.Port1.Token // recorded by the helpers when the answer was decoded
	unrecorded := store.NewToken()
	c.srv.logger.Warn("planted", "what", "x"+recorded+"x")
	c.srv.logger.Warn("planted", "token", unrecorded)
	found := c.logs.scan.Scan()
	if len(found) != 2 || found[0].Kind != "recorded token" || found[1].Kind != "token-shaped string" || found[0].Source != t.Name() {
		t.Fatalf("findings %+v, want the recorded token and the token-shaped string", found)
	}
	for _, f := range found {
		if strings.Contains(f.String(), recorded) || strings.Contains(f.String(), unrecorded) {
			t.Errorf("a finding quotes the secret: %s", f)
		}
	}
	c.logs.scan.Reset() // planted on purpose: TestMain must not fail the run for them
}
