package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
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
	apiRedisPacedName    = "api-redis, acks every 10 ms"
	apiMemoryPacedName   = "api-memory, acks every 10 ms"
	apiRedisTwoName      = "api-redis, 2 instances"
	apiRedisClusterName  = "api-redis, Cluster of 3 primaries"
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
	// apiRedisPaced and apiMemoryPaced are apiRedis and apiMemory, the
	// same processes, with readers that acknowledge at most every
	// pacedAckEvery: what a message costs when its acknowledgement is
	// shared with the others read meanwhile.
	apiRedisPaced, apiMemoryPaced *target
	// apiRedisTwo is two tuned api instances sharing one key prefix on
	// the one redis-server, each channel posted to on one and read on the
	// other; apiRedisCluster is one tuned api instance on a Cluster of
	// three primaries: S2's scale-out rows, nil when neither S2 nor S2X
	// is picked.
	apiRedisTwo, apiRedisCluster *target
	rdb                          *redis.Client
	cl                           *clients
	pin                          *pinning
	machine                      machine
	// s4Streams is how many streams S4 opens: those asked, or as many as
	// the open-files limit allows (machine.OpenFilesShort says why);
	// s4PerSource how many come from one loopback address.
	s4Streams, s4PerSource int
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
// connection of its own, from one address or, past half the ephemeral
// ports, a few (MAX_CONNECTIONS=0 is as many as the child's descriptors
// allow, which setUp set to the streams and a margin). The readers
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

// setUp raises the file limit, builds cmd/api, pins the bench, starts
// redis-server (and the Cluster, for the scale-out rows), the api
// children and the relay, and describes the machine.
func setUp(ctx context.Context, kids *children, dir string, opts options, log io.Writer) (*benchEnv, error) {
	// Each S4 stream holds a descriptor in the bench and one in the api:
	// each process needs one per stream and its margin.
	streams := 0
	if slices.Contains(opts.scenarios, s4) {
		streams = opts.sizes.s4Streams
	}
	nofile, short, err := raiseFileLimit(uint64(streams + fdMargin))
	if err != nil {
		return nil, err
	}
	streams, limitNote, err := streamsThatFit(streams, nofile, short)
	if err != nil {
		return nil, err
	}
	if limitNote != "" {
		fmt.Fprintf(log, "bench: %s\n", limitNote)
	}
	perSource := opts.sizes.s4PerSource
	if perSource == 0 {
		perSource = streamsPerSource()
	}
	// The smoke run's few streams per address, at a size given by
	// -s4-streams, fill 127.0.0.1-254 at most.
	perSource = max(perSource, (streams+sourcesMax-1)/sourcesMax)
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, errNoRedis
	}
	// Built before the bench is pinned, so that the compiler may use
	// every core.
	fmt.Fprintf(log, "bench: building ./cmd/api\n")
	apiBin, err := buildAPI(ctx, dir)
	if err != nil {
		return nil, err
	}
	pin := planPinning(opts.pin)
	if err := pin.pinBench(); err != nil {
		return nil, err
	}
	kids.pin = &pin
	fmt.Fprintf(log, "bench: pinning: %s\n", pin.describe())
	fmt.Fprintf(log, "bench: starting redis-server\n")
	redisAddr, redisProc, err := kids.startRedis(ctx, "redis")
	if err != nil {
		return nil, err
	}
	single := &redisStore{url: "redis://" + redisAddr + "/0", mode: "single", nodes: []*child{redisProc}}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find the bench's own binary for the relay: %w", err)
	}
	env := &benchEnv{
		rdb:       redis.NewClient(&redis.Options{Addr: redisAddr}),
		cl:        &clients{post: newClient(512, 30*time.Second), stream: newClient(0, 0)},
		pin:       &pin,
		s4Streams: streams, s4PerSource: perSource,
	}
	// launch starts instances of the api as name, each with the settings
	// that settings(addr) returns, to which it adds ADDR and, on Redis
	// (st not nil), the store's: one key prefix for all the instances, so
	// that they share their channels.
	launch := func(name string, st *redisStore, instances int, settings func(addr string) (kv map[string]string, debugAddr string, err error)) (*target, error) {
		t := &target{name: name, acks: true}
		if st != nil {
			t.redis = st.nodes
		}
		for i := range instances {
			addr, err := freeAddr()
			if err != nil {
				return nil, err
			}
			kv, debugAddr, err := settings(addr)
			if err != nil {
				return nil, err
			}
			kv["ADDR"] = addr
			if st != nil {
				kv["REDIS_URL"] = st.url
				kv["REDIS_MODE"] = st.mode
				kv["REDIS_KEY_PREFIX"] = safeName(name) + ":"
			}
			childName := safeName(name)
			if instances > 1 {
				childName += fmt.Sprintf("-%d", i+1)
			}
			fmt.Fprintf(log, "bench: starting %s on %s\n", childName, addr)
			c, err := kids.startHTTP(ctx, childName, apiBin, nil, envList(kv), addr, "/readyz")
			if err != nil {
				return nil, err
			}
			if i == 0 {
				t.base, t.debugAddr = "http://"+addr, debugAddr
			}
			t.bases = append(t.bases, "http://"+addr)
			t.procs = append(t.procs, c)
		}
		return t, nil
	}
	// tuned are apiSettings, then extra.
	tuned := func(extra map[string]string) func(string) (map[string]string, string, error) {
		return func(addr string) (map[string]string, string, error) {
			debugAddr, err := freeAddr()
			if err != nil {
				return nil, "", err
			}
			kv := apiSettings(addr, debugAddr)
			for k, v := range extra {
				kv[k] = v
			}
			return kv, debugAddr, nil
		}
	}
	// shipped are the shipped defaults: nothing set but the address and
	// the store.
	shipped := func(string) (map[string]string, string, error) { return map[string]string{}, "", nil }
	if env.apiRedis, err = launch(apiRedisName, single, 1, tuned(nil)); err != nil {
		return nil, err
	}
	if env.apiMemory, err = launch(apiMemoryName, nil, 1, tuned(nil)); err != nil {
		return nil, err
	}
	if slices.Contains(opts.scenarios, s1) || slices.Contains(opts.scenarios, s2) {
		if env.apiRedisShipped, err = launch(apiRedisShippedName, single, 1, shipped); err != nil {
			return nil, err
		}
		if env.apiMemoryShipped, err = launch(apiMemoryShippedName, nil, 1, shipped); err != nil {
			return nil, err
		}
	}
	if slices.Contains(opts.scenarios, s1) {
		env.apiRedisPaced = env.apiRedis.paced(apiRedisPacedName)
		env.apiMemoryPaced = env.apiMemory.paced(apiMemoryPacedName)
		// The limits on every request are off by default; this row turns
		// them on, on their default backend (Redis), with limits no S1
		// reaches, to measure what checking them costs rather than the
		// limits themselves.
		raised := map[string]string{
			"RATE_LIMIT_PER_CLIENT": "10000000", "RATE_LIMIT_PER_CLIENT_BURST": "10000000",
			"RATE_LIMIT_PER_TOKEN": "10000000", "RATE_LIMIT_PER_TOKEN_BURST": "10000000",
		}
		if env.apiRedisRate, err = launch(apiRedisRateName, single, 1, tuned(raised)); err != nil {
			return nil, err
		}
	}
	if slices.Contains(opts.scenarios, s2) || slices.Contains(opts.scenarios, s2x) {
		if env.apiRedisTwo, err = launch(apiRedisTwoName, single, 2, tuned(nil)); err != nil {
			return nil, err
		}
		fmt.Fprintf(log, "bench: starting a Redis Cluster of %d primaries\n", clusterPrimaries)
		cluster, err := kids.startCluster(ctx)
		if err != nil {
			return nil, err
		}
		if env.apiRedisCluster, err = launch(apiRedisClusterName, cluster, 1, tuned(nil)); err != nil {
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
	env.relay = &target{name: relayName, base: "http://" + relayAddr, bases: []string{"http://" + relayAddr}, procs: []*child{rc}, redis: single.nodes}
	env.machine = describeMachine(ctx, env.rdb, nofile)
	env.machine.OpenFilesShort = limitNote
	return env, nil
}

// streamsThatFit is how many of the streams S4 was asked for fit the
// open-files limit nofile, which fell short of what they need for the
// reason short (empty if it did not), and if fewer, a note saying so.
func streamsThatFit(streams int, nofile uint64, short string) (int, string, error) {
	if short == "" || streams == 0 {
		return streams, "", nil
	}
	fits := int(nofile) - fdMargin
	if fits < 1 {
		return 0, "", fmt.Errorf("open files limit is %d, too low for S4: %s", nofile, short)
	}
	return fits, fmt.Sprintf("S4 opens %d streams, not the %d asked: %s", fits, streams, short), nil
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
	// OpenFilesShort says why S4 opened fewer streams than asked, when
	// the open-files limit could not be raised far enough.
	OpenFilesShort string `json:"open_files_short,omitempty"`
	// Pinning says how the bench and the servers were kept to their
	// cores, and what /proc showed of it at the end of the run.
	Pinning string `json:"pinning"`
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
