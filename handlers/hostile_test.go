package handlers

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/internal/syncbuf"
	"github.com/tincan-dev/tincan/store"
)

// hostileRequests is how many malformed requests TestHostileInput sends.
const hostileRequests = 10000

// TestHostileInput sends thousands of generated malformed requests over
// real connections: every one is refused with a 4xx, nothing panics or is
// logged as an error, no port changes, and the goroutines return to where
// they were. It does not run in parallel, so that the goroutine count is
// this server's alone.
func TestHostileInput(t *testing.T) {
	st := memoryEnv().open(t, store.Limits{})
	var serverLog syncbuf.Buffer
	s := NewServer(slog.New(slog.NewTextHandler(newTestLog(t), &slog.HandlerOptions{Level: slog.LevelWarn})), st, Config{KeepAlive: time.Minute})
	ts := httptest.NewUnstartedServer(s)
	ts.Config.MaxHeaderBytes = 8 << 10
	ts.Config.ReadHeaderTimeout = 5 * time.Second
	ts.Config.ErrorLog = log.New(&serverLog, "", 0)
	ts.Start()
	t.Cleanup(func() {
		s.CloseStreams()
		ts.Close()
	})
	c := &client{t: t, url: ts.URL, hc: ts.Client(), srv: s, store: st}

	// Ports with some history: messages queued, some acknowledged.
	a, b := c.createChannel(), c.createChannel()
	for i := range 3 {
		c.send(a.Port1, fmt.Sprint(i))
	}
	c.ack(a.Port2, c.send(a.Port1, `"x"`)).want(t, http.StatusNoContent)
	c.send(b.Port2, `{"k":[1,2]}`)
	ports := []port{a.Port1, a.Port2, b.Port1, b.Port2}
	before := describeAll(c, ports)
	c.hc.CloseIdleConnections()
	time.Sleep(50 * time.Millisecond)
	baseline := runtime.NumGoroutine()

	gen := &hostileGen{ports: ports}
	const workers = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	var failures []string
	host := strings.TrimPrefix(ts.URL, "http://")
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			var conn net.Conn
			var br *bufio.Reader
			defer func() {
				if conn != nil {
					conn.Close()
				}
			}()
			for i := w; i < hostileRequests; i += workers {
				raw := gen.request(rng, i)
				if conn == nil {
					var err error
					if conn, err = net.Dial("tcp", host); err != nil {
						t.Error(err)
						return
					}
					br = bufio.NewReader(conn)
				}
				_ = conn.SetDeadline(time.Now().Add(waitLimit))
				status, closeConn, err := roundTrip(conn, br, raw)
				mu.Lock()
				if err != nil {
					failures = append(failures, fmt.Sprintf("request %d: %v: %q", i, err, trim(raw)))
				} else {
					statuses[status]++
					if status < 400 || status >= 500 {
						failures = append(failures, fmt.Sprintf("request %d: status %d: %q", i, status, trim(raw)))
					}
				}
				mu.Unlock()
				if err != nil || closeConn {
					conn.Close()
					conn = nil
				}
			}
		})
	}
	wg.Wait()
	for i, f := range failures {
		if i == 20 {
			t.Errorf("... and %d more", len(failures)-20)
			break
		}
		t.Error(f)
	}
	t.Logf("%d malformed requests; statuses: %v", hostileRequests, statuses)

	if after := describeAll(c, ports); after != before {
		t.Errorf("ports changed:\nbefore %s\nafter  %s", before, after)
	}
	if strings.Contains(serverLog.String(), "panic") {
		t.Errorf("server log: %s", serverLog.String())
	}
	c.hc.CloseIdleConnections()
	deadline := time.Now().Add(waitLimit)
	for runtime.NumGoroutine() > baseline+2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > baseline+2 {
		t.Errorf("%d goroutines, %d before", n, baseline)
	}
}

func describeAll(c *client, ports []port) string {
	var out []string
	for _, p := range ports {
		res := c.do(req{method: "GET", path: "/ports/" + p.ID, token: p.Token}).want(c.t, http.StatusOK)
		list := c.do(req{method: "GET", path: "/ports/" + p.ID + "/messages", token: p.Token}).want(c.t, http.StatusOK)
		out = append(out, string(res.body), string(list.body))
	}
	return strings.Join(out, "\n")
}

func trim(b []byte) []byte {
	if len(b) > 200 {
		return b[:200]
	}
	return b
}

// roundTrip writes one raw request and reads its answer.
func roundTrip(conn net.Conn, br *bufio.Reader, raw []byte) (status int, closeConn bool, err error) {
	if _, err := conn.Write(raw); err != nil {
		return 0, true, err
	}
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0, true, err
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, res.Close, err
}

// hostileGen makes malformed requests. A request carries a port's real
// token only when the rest of it is sure to be refused, so that none can
// change anything: a body that is not valid for its route, a bad query
// value, a bad resume point.
type hostileGen struct{ ports []port }

var badJSON = []string{
	`{"data":1`, `{"data":}`, `{"data":1,}`, `{"data":1}{"data":2}`, `{"data":1} x`, `{data:1}`, `{'data':1}`, `["data",1]`,
	`null`, `1`, `"data"`, ``, ` `, `{"Data":1}`, `{"DATA":1}`, `{"data":1,"data":2}`, `{"data":1,"extra":2}`,
	`{"transfer":[]}`, `{"data":1,"transfer":"x"}`, `{"data":1,"transfer":{}}`, `{"data":1,"transfer":[1]}`,
	`{"data":1,"transfer":[{"port":1,"token":"x"}]}`, `{"data":1,"transfer":[{"port":"x","token":"y","z":1}]}`,
	`{"data":1,"transfer":[{"Port":"x","token":"y"}]}`, `{"data":1,"transfer":null,"transfer":[]}`,
	`{"data":NaN}`, `{"data":Infinity}`, `{"data":01}`, `{"data":1.}`, `{"data":.5}`, `{"data":-}`, `{"data":1e}`,
	`{"data":"\x"}`, `{"data":"\u12"}`, "{\"data\":\"a\x00b\"}", "{\"data\":\"\xff\xfe\"}", "{\"data\":\"\xc3\x28\"}",
	"{\"data\":\"\xed\xa0\x80\"}", "\xef\xbb\xbf{\"data\":1}", `{"data":tru}`, `{"data":nul}`, `{"data":[1,2,]}`,
	`{"data":{"a":1,}}`, `{"data":{"a"}}`, `{"data":{1:2}}`, `{"data":1}]`, `{"data":1}}`,
}

var badAck = []string{
	`{"through":1}`, `{"through":1e309}`, `{"through":true}`, `{"through":null}`, `{"through":[]}`, `{"through":{}}`,
	`{"through":"x"}`, `{"through":"1"}`, `{"through":"1-"}`, `{"through":"-1"}`, `{"through":"01-1"}`, `{"through":"1-01"}`,
	`{"through":"99999999999999999999999-1"}`, `{"through":"18446744073709551616-0"}`, `{"through":"9999999999999-0"}`,
	`{"through":""}`, `{}`, `{"Through":"1-0"}`, `{"through":"1-0","through":"1-0"}`, `{"through":"1-0"} {}`, `[]`,
	"{\"through\":\"1-0\xff\"}", `{"through":" 1-0"}`, `{"through":"1-0\n"}`, `{"through":"+1-0"}`,
}

var badQueries = []string{
	"after=x", "after=1", "after=01-1", "after=-1", "after=1-0-0", "after=99999999999999999999999-1", "after=%ff",
	"limit=0", "limit=-1", "limit=1001", "limit=abc", "limit=99999999999999999999", "limit=1e3", "limit=1.5",
	"wait=-1", "wait=x", "wait=1.5", "wait=99999999999999999999", "wait=1e9",
	"limit=10&limit=abc&after=x",
}

var oddTypes = []string{
	"application/json", "application/json; charset=utf-8", "APPLICATION/JSON", " application/json ; x=y", "application/jsonx",
	"text/plain", "text/plain; charset=latin1", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
	"application/octet-stream", "", ";;;", "application/json; charset", "*/*", "\x7f",
}

var badIDs = []string{
	"x", "0", "01M7Z9ZAEYB3WVD1BRTFA6JAW", "01M7Z9ZAEYB3WVD1BRTFA6JAW00", "01m7z9zaeyb3wvd1brtfa6jaw0", "%00", "%ff%fe",
	"..", "%2e%2e", "a%2Fb", "8ZZZZZZZZZZZZZZZZZZZZZZZZZ", "00000000000000000000000000", "%20", "%0d%0aX-Injected:%201",
	strings.Repeat("A", 2000),
}

// invalidUTF8 is text no post may carry.
var invalidUTF8 = []string{"\xff", "ab\xc3", "\xed\xa0\x80", "\xc0\xaf", "ok\x80ok"}

// textTypes are the Content-Types of text, which must be UTF-8; any other
// type but JSON is bytes, which any body is.
var textTypes = []string{"text/plain", "text/plain; charset=latin1", "application/x-www-form-urlencoded", "TEXT/HTML; charset=utf-8"}

// refusedTypes are Content-Types no post may have, whatever its body: none
// at all, none in effect, and what is no media type to keep bytes with.
var refusedTypes = []string{"", " ", ";;;", "; charset=utf-8", "binary", "image/", "/png", "image/png; x", `image/png; a="`,
	"image/png; a=1; a=2", "application/" + strings.Repeat("x", 300)}

func (g *hostileGen) request(rng *rand.Rand, i int) []byte {
	p := g.ports[rng.IntN(len(g.ports))]
	other := g.ports[(rng.IntN(len(g.ports)-1)+1+indexOf(g.ports, p))%len(g.ports)]
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	wrongToken := pick([]string{other.Token, p.Token + "x", p.Token[:len(p.Token)-1], "", "Bearer", strings.ToUpper(p.Token), "x", strings.Repeat("t", 500), "%00"})
	var method, path, ctype, body, framingBody string
	var headers []string
	auth := func(tok string) { headers = append(headers, "Authorization: Bearer "+tok) }
	switch i % 12 {
	case 0, 1: // malformed post bodies, with the real token
		method, path, ctype, body = "POST", "/ports/"+p.ID+"/messages", pick(oddTypes[:4]), pick(badJSON)
		if rng.IntN(3) == 0 {
			body = deepJSON(rng)
		}
		auth(p.Token)
	case 2: // text that is not UTF-8, or no content type to keep, with the real token
		method, path, ctype, body = "POST", "/ports/"+p.ID+"/messages", pick(textTypes), pick(invalidUTF8)
		if rng.IntN(2) == 0 {
			ctype, body = pick(refusedTypes), pick(append(invalidUTF8, `{"data":1}`, "hello", ""))
		}
		auth(p.Token)
	case 3: // malformed acknowledgements, with the real token
		method, path, ctype, body = "POST", "/ports/"+p.ID+"/ack", "application/json", pick(badAck)
		auth(p.Token)
	case 4: // bad query values, with the real token
		method, path = "GET", "/ports/"+p.ID+"/messages?"+pick(badQueries)
		auth(p.Token)
	case 5: // malformed resume points, with the real token
		// (one after the newest id is well-formed: it gets a reset)
		method, path = "GET", "/ports/"+p.ID+"/events"
		headers = append(headers, "Last-Event-ID: "+pick([]string{"x", "1", "01-1", "1-0-0", "-1", "99999999999999999999999-1"}))
		auth(p.Token)
	case 6: // every route with a wrong token
		method, path = pick([]string{"GET", "POST"}), pick([]string{"/ports/" + p.ID, "/ports/" + p.ID + "/messages", "/ports/" + p.ID + "/ack",
			"/ports/" + p.ID + "/close", "/ports/" + p.ID + "/transfer", "/ports/" + p.ID + "/events"})
		ctype, body = pick(oddTypes), pick([]string{`{"data":1}`, `{"through":"1-0"}`, "hello", ""})
		auth(wrongToken)
	case 7: // malformed port ids, with a real token
		method, path = pick([]string{"GET", "POST"}), "/ports/"+pick(badIDs)+pick([]string{"", "/messages", "/close", "/transfer", "/events", "/ack"})
		auth(p.Token)
	case 8: // header tricks: no token, odd schemes, twice, folded
		method, path = pick([]string{"GET", "POST"}), "/ports/"+p.ID+pick([]string{"/close", "/transfer", "/messages"})
		switch rng.IntN(6) {
		case 0:
		case 1:
			headers = append(headers, "Authorization: Basic "+p.Token)
		case 2:
			headers = append(headers, "Authorization: Bearer  "+wrongToken, "Authorization: Bearer "+wrongToken)
		case 3:
			// Go's server joins a folded line to the one before (as RFC
			// 9112 allows), so a folded real token would work: fold a
			// wrong one.
			headers = append(headers, "Authorization: Bearer\r\n "+wrongToken)
		case 4:
			headers = append(headers, "Authorization: bearer"+p.Token)
		case 5:
			headers = append(headers, "Authorization: Bearer "+p.Token+"\x00")
		}
		if method == "GET" {
			path = "/ports/" + p.ID
		}
	case 9: // huge headers, with or without the token
		method, path = "GET", "/ports/"+p.ID
		headers = append(headers, "X-Big: "+strings.Repeat("a", 4<<10+rng.IntN(16<<10)))
		auth(wrongToken)
	case 10: // framing tricks: bad lengths and encodings, wrong methods
		method, path = "POST", "/ports/"+p.ID+"/close"
		switch rng.IntN(5) {
		case 0:
			headers = append(headers, "Content-Length: -1")
		case 1:
			headers = append(headers, "Content-Length: 1", "Content-Length: 2")
		case 2:
			headers = append(headers, "Content-Length: abc")
		case 3:
			// An unknown transfer coding would get Go's own 501, before
			// any handler runs; a malformed chunked body is a 400.
			headers = append(headers, "Transfer-Encoding: chunked")
			framingBody = "zz\r\n"
		case 4:
			method = pick([]string{"PUT", "PATCH", "DELETE", "FOO", "TRACE"})
		}
		auth(wrongToken)
	case 11: // query tokens that are not the port's
		method, path = "GET", "/ports/"+p.ID+"/messages?access_token="+url.QueryEscape(wrongToken)+"&access_token="+p.Token
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: tincan.test\r\n", method, path)
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	if ctype != "" {
		b.WriteString("Content-Type: " + ctype + "\r\n")
	}
	framing := strings.Contains(b.String(), "Content-Length:") || strings.Contains(b.String(), "Transfer-Encoding:")
	if !framing {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n")
	if !framing {
		b.WriteString(body)
	} else {
		b.WriteString(framingBody)
	}
	return []byte(b.String())
}

func indexOf(ports []port, p port) int {
	for i, q := range ports {
		if q == p {
			return i
		}
	}
	return 0
}

// deepJSON is a post body whose data nests past MaxJSONDepth, closed or
// not.
func deepJSON(rng *rand.Rand) string {
	n := DefaultMaxJSONDepth + 1 + rng.IntN(5000)
	open := strings.Repeat(`[{"a":`, n/2)
	if rng.IntN(2) == 0 {
		return `{"data":` + open
	}
	return `{"data":` + open + "1" + strings.Repeat("}]", n/2) + "}"
}
