package main

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/tincan-dev/tincan/internal/logscan"
	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
)

// TestMain fails the run if the log of any service the tests ran, in
// process or as a child process, holds a secret. The parallel tests are
// those that mostly wait, for processes and servers they start: eight run
// at once. Those that count goroutines or set go-redis's logger run
// alone, before them.
func TestMain(m *testing.M) {
	logscan.Secret("API key", testAPIKey)
	redistest.Parallel(8)
	code := m.Run()
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
	if err := logscan.Check(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// TestLogsHoldNoSecrets drives the service, logging at debug level, with
// secrets everywhere a careless log line could pick them up: API keys
// right and wrong, tokens in the query (accepted and refused), bad
// Authorization headers, an API key where a port token belongs. The log
// records the refusals and holds none of the secrets; a token planted in
// it is caught.
func TestLogsHoldNoSecrets(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
	}{
		{"apikey, query tokens refused", map[string]string{"CREATE_AUTH": "apikey", "API_KEYS": hashHex(testAPIKey)}},
		{"open, query tokens allowed", map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hc := http.DefaultClient
			base, logs, stop := startRun(t, "http", tc.env, hc)
			send(t, hc, "POST", base+"/channels", testAPIKey+"x")
			send(t, hc, "POST", base+"/channels", store.NewToken())
			status, body := send(t, hc, "POST", base+"/channels", testAPIKey)
			if status != http.StatusCreated {
				t.Fatalf("create: %d %s", status, body)
			}
			id, token := field(body, "port1", "id"), field(body, "port1", "token")
			peer := field(body, "port2", "token")
			for _, rq := range []struct{ method, path, token string }{
				{"GET", "/ports/" + id + "?access_token=" + token, ""},
				{"GET", "/ports/" + id + "/messages?wait=0&access_token=" + peer, ""},
				{"GET", "/ports/" + id + "?access_token=" + token, token},
				{"GET", "/ports/" + id, peer},
				{"GET", "/ports/" + id, testAPIKey},
				{"POST", "/ports/" + id + "/close", testAPIKey},
				{"POST", "/ports/" + id + "/transfer?access_token=" + token, ""},
				{"GET", "/ports/" + id + "/tokens", token + token},
				{"GET", "/channels?access_token=" + token, testAPIKey},
			} {
				send(t, hc, rq.method, base+rq.path, rq.token)
			}
			req, _ := http.NewRequest("GET", base+"/ports/"+id, nil)
			req.Header.Set("Authorization", "Basic "+token)
			if res, err := hc.Do(req); err == nil {
				res.Body.Close()
			}

			// Stopped, the api has written every request line (they
			// wait in a buffer while it runs: logbuffer.go).
			stop()
			text := logs.String()
			if !strings.Contains(text, `"msg":"request"`) {
				t.Fatalf("request lines are not in the log:\n%s", text)
			}
			if !strings.Contains(text, `"level":"DEBUG"`) || !strings.Contains(text, `"msg":"request refused"`) {
				t.Fatalf("refusals are not in the log:\n%s", text)
			}
			if f := logs.scan.Scan(); len(f) != 0 {
				t.Errorf("secrets in the log: %v", f)
			}
			logs.Write([]byte(`{"level":"INFO","msg":"planted","token":"` + token + `"}` + "\n"))
			if f := logs.scan.Scan(); len(f) != 1 || !strings.HasPrefix(f[0].Kind, "recorded ") || f[0].Source != t.Name() {
				t.Errorf("a planted token: findings %v", f)
			}
			logs.scan.Reset() // planted on purpose
		})
	}
}
