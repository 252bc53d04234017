package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// broadcastResult is S6's figures on one target: one broadcast to a
// collection of Members ports, each of a channel of its own.
type broadcastResult struct {
	Members int `json:"members"`
	// Reached and Refused are the broadcast's own account.
	Reached int `json:"reached"`
	Refused int `json:"refused"`
	// Verified counts the peers found holding exactly the broadcast
	// message afterwards, read back one by one.
	Verified int `json:"verified"`
	// AnswerMs is how long POST /collections/{id}/messages took, from
	// sending to the whole answer read.
	AnswerMs float64 `json:"answer_ms"`
	// ReachedPerS is Reached / the answer time.
	ReachedPerS float64 `json:"reached_per_s"`
	// On Redis only (-1 on the embedded store): the broadcast's EVALSHA
	// and EVAL calls (INFO commandstats), and the read events Redis's
	// event loop served on its connections (INFO stats
	// total_reads_processed) while it ran: a round trip per member would
	// be at least one read each.
	ScriptCalls int64 `json:"script_calls"`
	RedisReads  int64 `json:"redis_reads"`
}

// setUpWorkers is how many requests S6's set-up (channels, members) and
// read-back have in flight at once.
const setUpWorkers = 16

// member is a channel of S6: the member port 1, whose peer port 2 gets
// the broadcast.
type member struct {
	port1, token1 string
	port2, token2 string
}

// runBroadcast makes n channels and a collection of their port 1s, then
// times one broadcast to it and reads every peer back.
func runBroadcast(ctx context.Context, t *target, cl *clients, rdb *redis.Client, n int) (broadcastResult, error) {
	res := broadcastResult{Members: n, ScriptCalls: -1, RedisReads: -1}
	members := make([]member, n)
	err := inParallel(ctx, n, setUpWorkers, func(ctx context.Context, i int) error {
		var ch struct{ Port1, Port2 portJSON }
		if err := t.call(ctx, cl.post, http.MethodPost, "/channels", "", "", nil, http.StatusCreated, &ch); err != nil {
			return err
		}
		members[i] = member{ch.Port1.ID, ch.Port1.Token, ch.Port2.ID, ch.Port2.Token}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("create channels: %w", err)
	}
	var coll struct{ ID, Token string }
	if err := t.call(ctx, cl.post, http.MethodPost, "/collections", "", "", nil, http.StatusCreated, &coll); err != nil {
		return res, err
	}
	err = inParallel(ctx, n, setUpWorkers, func(ctx context.Context, i int) error {
		body, _ := json.Marshal(map[string]string{"port": members[i].port1, "token": members[i].token1})
		return t.call(ctx, cl.post, http.MethodPost, "/collections/"+coll.ID+"/members", coll.Token, "application/json", body, http.StatusCreated, nil)
	})
	if err != nil {
		return res, fmt.Errorf("add members: %w", err)
	}

	var before map[string]int64
	if len(t.redis) > 0 {
		if before, err = redisCounters(ctx, rdb); err != nil {
			return res, err
		}
	}
	var answer struct {
		Reached int               `json:"reached"`
		Refused []json.RawMessage `json:"refused"`
	}
	start := time.Now()
	if err := t.call(ctx, cl.post, http.MethodPost, "/collections/"+coll.ID+"/messages", coll.Token, "text/plain", []byte("S6 broadcast"), http.StatusOK, &answer); err != nil {
		return res, err
	}
	elapsed := time.Since(start)
	if len(t.redis) > 0 {
		after, err := redisCounters(ctx, rdb)
		if err != nil {
			return res, err
		}
		res.ScriptCalls = after["scripts"] - before["scripts"]
		res.RedisReads = after["reads"] - before["reads"]
	}
	res.Reached, res.Refused = answer.Reached, len(answer.Refused)
	res.AnswerMs = float64(elapsed.Microseconds()) / 1000
	res.ReachedPerS = float64(answer.Reached) / elapsed.Seconds()

	var verified atomic.Int64
	err = inParallel(ctx, n, setUpWorkers, func(ctx context.Context, i int) error {
		var l struct {
			Messages []struct {
				Data   string `json:"data"`
				Source string `json:"source"`
			} `json:"messages"`
		}
		if err := t.call(ctx, cl.post, http.MethodGet, "/ports/"+members[i].port2+"/messages", members[i].token2, "", nil, http.StatusOK, &l); err != nil {
			return err
		}
		if len(l.Messages) == 1 && l.Messages[0].Data == "S6 broadcast" && l.Messages[0].Source == members[i].port1 {
			verified.Add(1)
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("read back: %w", err)
	}
	res.Verified = int(verified.Load())
	return res, nil
}

// call sends one request to t and decodes a JSON answer of status want
// into out (when not nil).
func (t *target) call(ctx context.Context, client *http.Client, method, path, token, contentType string, body []byte, want int, out any) error {
	return t.callAt(ctx, client, t.base, method, path, token, contentType, body, want, out)
}

// callAt is call to the instance of t at base.
func (t *target) callAt(ctx context.Context, client *http.Client, base, method, path, token, contentType string, body []byte, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %s %s: %w", t.name, method, path, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s: %s %s: %w", t.name, method, path, err)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s: %s %s: %d %s", t.name, method, path, resp.StatusCode, bytes.TrimSpace(answer))
	}
	if out != nil {
		if err := json.Unmarshal(answer, out); err != nil {
			return fmt.Errorf("%s: %s %s: %w", t.name, method, path, err)
		}
	}
	return nil
}

// redisCounters reads the script calls (FCALL, EVALSHA and EVAL, from
// INFO commandstats) and total_reads_processed (INFO stats).
func redisCounters(ctx context.Context, rdb *redis.Client) (map[string]int64, error) {
	out := map[string]int64{}
	cmds, err := rdb.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil, fmt.Errorf("INFO commandstats: %w", err)
	}
	for line := range strings.SplitSeq(cmds, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || (name != "cmdstat_fcall" && name != "cmdstat_evalsha" && name != "cmdstat_eval") {
			continue
		}
		calls, _, _ := strings.Cut(strings.TrimPrefix(rest, "calls="), ",")
		n, err := strconv.ParseInt(calls, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("INFO commandstats %s: %q", name, rest)
		}
		out["scripts"] += n
	}
	stats, err := rdb.Info(ctx, "stats").Result()
	if err != nil {
		return nil, fmt.Errorf("INFO stats: %w", err)
	}
	for line := range strings.SplitSeq(stats, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "total_reads_processed:"); ok {
			if out["reads"], err = strconv.ParseInt(v, 10, 64); err != nil {
				return nil, fmt.Errorf("INFO stats total_reads_processed: %q", v)
			}
			return out, nil
		}
	}
	return nil, fmt.Errorf("INFO stats has no total_reads_processed")
}

// writeBroadcast prints S6's table.
func writeBroadcast(w io.Writer, gs []group) {
	fmt.Fprintln(w, "| target | members | reached | refused | read back | answer ms | reached msg/s | script calls | Redis read events |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	med := func(g group, f func(broadcastResult) float64) float64 {
		var xs []float64
		for _, rw := range g.rows {
			xs = append(xs, f(*rw.Broadcast))
		}
		return median(xs)
	}
	for _, g := range gs {
		redisFig := func(f func(broadcastResult) float64) string {
			v := med(g, f)
			if v < 0 {
				return "–"
			}
			return fmt.Sprintf("%.0f", v)
		}
		fmt.Fprintf(w, "| %s | %.0f | %.0f | %.0f | %.0f | %.1f | %.0f | %s | %s |\n", g.target,
			med(g, func(b broadcastResult) float64 { return float64(b.Members) }),
			med(g, func(b broadcastResult) float64 { return float64(b.Reached) }),
			med(g, func(b broadcastResult) float64 { return float64(b.Refused) }),
			med(g, func(b broadcastResult) float64 { return float64(b.Verified) }),
			med(g, func(b broadcastResult) float64 { return b.AnswerMs }),
			med(g, func(b broadcastResult) float64 { return b.ReachedPerS }),
			redisFig(func(b broadcastResult) float64 { return float64(b.ScriptCalls) }),
			redisFig(func(b broadcastResult) float64 { return float64(b.RedisReads) }))
	}
}
