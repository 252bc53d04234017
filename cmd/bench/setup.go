package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Target names.
const (
	relayName            = "relay (Redis)"
	apiRedisName         = "api-redis"
	apiMemoryName        = "api-memory"
	apiRedisShippedName  = "api-redis, shipped defaults"
	apiMemoryShippedName = "api-memory, shipped defaults"
	apiRedisRateName     = "api-redis, per-request limits on"
)

// benchEnv is everything set up for the runs.
type benchEnv struct {
	// relay is the yardstick; apiRedis and apiMemory are the api tuned
	// for every scenario (apiSettings).
	relay, apiRedis, apiMemory *target
	// apiRedisShipped and apiMemoryShipped are the api on its shipped
	// defaults, for S1 and S2 rows beside the tuned ones; nil when
	// neither is picked.
	apiRedisShipped, apiMemoryShipped *target
	// apiRedisRate is the api on Redis with its limits on every request
	// working (raised so that nothing is refused), for one extra S1 row;
	// nil when S1 is not picked.
	apiRedisRate *target
	rdb          *redis.Client
	cl           *clients
	machine      machine
}

func (e *benchEnv) close() {
	_ = e.rdb.Close()
	e.cl.post.CloseIdleConnections()
	e.cl.stream.CloseIdleConnections()
}

// apiSettings are the api children's settings: the defaults but for rate
// limits off (a cost of its own, measured in one extra row; S4 and S6
// create 10,000 channels from one address), and limits on streams and
// connections large enough for S4, which opens all its streams, each on a
// connection of its own, from one address (MAX_CONNECTIONS=0 is as many as
// the child's descriptors allow, which setUp raised). The readers
// acknowledge what they read, so the default queue length serves.
func apiSettings(addr, debugAddr string) map[string]string {
	return map[string]string{
		"ADDR":                         addr,
		"DEBUG_ADDR":                   debugAddr,
		"RATE_LIMIT_CREATE_PER_CLIENT": "0",
		"RATE_LIMIT_PER_CLIENT":        "0",
		"RATE_LIMIT_PER_TOKEN":         "0",
		"MAX_STREAMS_PER_CLIENT":       "1000000",
		"MAX_CONNECTIONS_PER_CLIENT":   "0",
		"MAX_CONNECTIONS":              "0",
	}
}

// setUp raises the file limit, starts redis-server, builds and starts the
// api children and the relay, and describes the machine.
func setUp(ctx context.Context, kids *children, dir string, opts options, log io.Writer) (*benchEnv, error) {
	nofile, err := raiseFileLimit()
	if err != nil {
		return nil, err
	}
	// Each S4 stream holds a descriptor in the bench and one in the api.
	if need := uint64(opts.sizes.s4Streams + 1000); nofile < need && slices.Contains(opts.scenarios, s4) {
		return nil, fmt.Errorf("open files limit is %d, S4 needs about %d: raise the hard limit (ulimit -Hn, /etc/security/limits.conf)", nofile, need)
	}
	fmt.Fprintf(log, "bench: starting redis-server\n")
	redisAddr, redisProc, err := kids.startRedis(ctx)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "bench: building ./cmd/api\n")
	apiBin, err := buildAPI(ctx, dir)
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find the bench's own binary for the relay: %w", err)
	}
	env := &benchEnv{
		rdb: redis.NewClient(&redis.Options{Addr: redisAddr}),
		cl:  &clients{post: newClient(512, 30*time.Second), stream: newClient(0, 0)},
	}
	// launch starts the api as name with the settings kv, to which it adds
	// ADDR and, on Redis, the store's.
	launch := func(name string, onRedis bool, kv map[string]string, addr, debugAddr string) (*target, error) {
		kv["ADDR"] = addr
		if onRedis {
			kv["REDIS_URL"] = "redis://" + redisAddr + "/0"
			kv["REDIS_KEY_PREFIX"] = safeName(name) + ":"
		}
		fmt.Fprintf(log, "bench: starting %s on %s\n", name, addr)
		c, err := kids.startHTTP(ctx, safeName(name), apiBin, nil, envList(kv), addr, "/readyz")
		if err != nil {
			return nil, err
		}
		t := &target{name: name, base: "http://" + addr, debugAddr: debugAddr, proc: c, acks: true}
		if onRedis {
			t.redis = redisProc
		}
		return t, nil
	}
	// startTuned starts a tuned api target: apiSettings, then extra.
	startTuned := func(name string, onRedis bool, extra map[string]string) (*target, error) {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		debugAddr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		kv := apiSettings(addr, debugAddr)
		for k, v := range extra {
			kv[k] = v
		}
		return launch(name, onRedis, kv, addr, debugAddr)
	}
	// startShipped starts an api target on the shipped defaults: nothing
	// set but its address and its store.
	startShipped := func(name string, onRedis bool) (*target, error) {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		return launch(name, onRedis, map[string]string{}, addr, "")
	}
	if env.apiRedis, err = startTuned(apiRedisName, true, nil); err != nil {
		return nil, err
	}
	if env.apiMemory, err = startTuned(apiMemoryName, false, nil); err != nil {
		return nil, err
	}
	if slices.Contains(opts.scenarios, s1) || slices.Contains(opts.scenarios, s2) {
		if env.apiRedisShipped, err = startShipped(apiRedisShippedName, true); err != nil {
			return nil, err
		}
		if env.apiMemoryShipped, err = startShipped(apiMemoryShippedName, false); err != nil {
			return nil, err
		}
	}
	if slices.Contains(opts.scenarios, s1) {
		// The limits on every request are off by default; this row turns
		// them on, on their default backend (Redis), with limits no S1
		// reaches, to measure what checking them costs rather than the
		// limits themselves.
		raised := map[string]string{
			"RATE_LIMIT_PER_CLIENT": "10000000", "RATE_LIMIT_PER_CLIENT_BURST": "10000000",
			"RATE_LIMIT_PER_TOKEN": "10000000", "RATE_LIMIT_PER_TOKEN_BURST": "10000000",
		}
		if env.apiRedisRate, err = startTuned(apiRedisRateName, true, raised); err != nil {
			return nil, err
		}
	}
	relayAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "bench: starting the relay on %s\n", relayAddr)
	rc, err := kids.startHTTP(ctx, "relay", self, []string{"-relay", relayAddr, redisAddr}, envList(nil), relayAddr, "/healthz")
	if err != nil {
		return nil, err
	}
	env.relay = &target{name: relayName, base: "http://" + relayAddr, proc: rc, redis: redisProc}
	env.machine = describeMachine(ctx, env.rdb, nofile)
	return env, nil
}

// safeName makes a target name usable as a file name.
func safeName(name string) string {
	return strings.NewReplacer(" ", "-", ",", "", "(", "", ")", "").Replace(name)
}

// machine describes where the figures were measured.
type machine struct {
	When         string `json:"when"`
	Cores        int    `json:"cores"`
	CPU          string `json:"cpu"`
	Kernel       string `json:"kernel"`
	GoVersion    string `json:"go_version"`
	RedisVersion string `json:"redis_version"`
	OpenFiles    uint64 `json:"open_files_limit"`
}

func describeMachine(ctx context.Context, rdb *redis.Client, nofile uint64) machine {
	m := machine{When: time.Now().UTC().Format(time.RFC3339), Cores: runtime.NumCPU(), GoVersion: runtime.Version(), OpenFiles: nofile, CPU: "unknown", Kernel: "unknown", RedisVersion: "unknown"}
	if info, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(info), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				m.CPU = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if k, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(k))
	}
	if info, err := rdb.Info(ctx, "server").Result(); err == nil {
		for line := range strings.SplitSeq(info, "\n") {
			if v, ok := strings.CutPrefix(line, "redis_version:"); ok {
				m.RedisVersion = strings.TrimSpace(v)
			}
		}
	}
	return m
}
