package main

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/store"
	redisstore "github.com/tincan-dev/tincan/store/redis"
)

// newRegistry is the registry GET /metrics serves: the process's and Go
// runtime's collectors, and whatever the server and the Redis client
// add. It is the process's own, not Prometheus's global default.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// pipelineCommand is the command label of a pipeline's round trip.
const pipelineCommand = "pipeline"

// redisMetrics is a go-redis hook that times every command and pipeline
// and counts the failed ones, by command name (a fixed set: tincan sends
// only the commands its code names).
type redisMetrics struct {
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec
}

var _ goredis.Hook = (*redisMetrics)(nil)

// newRedisMetrics makes the hook's collectors and registers them on reg.
func newRedisMetrics(reg prometheus.Registerer) *redisMetrics {
	m := &redisMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tincan_redis_command_duration_seconds",
			Help:    "Round trips to Redis, by command (command=pipeline for a whole pipeline), errors included.",
			Buckets: []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1},
		}, []string{"command"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tincan_redis_errors_total",
			Help: "Redis commands that failed (network, timeout, server error), by command (dial: a connection attempt); a missing key (nil reply), a script missing from the cache (NOSCRIPT, retried as EVAL), a function missing from the server (its library is loaded and the call retried) and a refused connection handshake are not failures.",
		}, []string{"command"}),
	}
	reg.MustRegister(m.duration, m.errors)
	return m
}

// DialHook counts failed connection attempts as errors of "dial".
func (m *redisMetrics) DialHook(next goredis.DialHook) goredis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := next(ctx, network, addr)
		if err != nil {
			m.errors.WithLabelValues("dial").Inc()
		}
		return conn, err
	}
}

// ProcessHook times one command.
func (m *redisMetrics) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmd)
		m.duration.WithLabelValues(cmd.Name()).Observe(time.Since(start).Seconds())
		if failed(cmd) {
			m.errors.WithLabelValues(cmd.Name()).Inc()
		}
		return err
	}
}

// ProcessPipelineHook times a pipeline as one round trip and counts each
// failed command in it.
func (m *redisMetrics) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmds)
		m.duration.WithLabelValues(pipelineCommand).Observe(time.Since(start).Seconds())
		for _, cmd := range cmds {
			if failed(cmd) {
				m.errors.WithLabelValues(cmd.Name()).Inc()
			}
		}
		return err
	}
}

// failed reports whether a command's error is a failure rather than an
// answer: a nil reply is an answer, and NOSCRIPT or a missing function
// asks for the script or the library to be sent again, which the store
// does. Nor are the refusals of
// the handshake go-redis sends on each new connection (HELLO, CLIENT
// SETINFO, CLIENT MAINT_NOTIFICATIONS): an older server refuses some, and
// go-redis carries on without them. tincan itself sends neither command.
func failed(cmd goredis.Cmder) bool {
	err := cmd.Err()
	switch {
	case err == nil, errors.Is(err, goredis.Nil), goredis.HasErrorPrefix(err, "NOSCRIPT"),
		goredis.HasErrorPrefix(err, "Function not found"):
		return false
	case cmd.Name() == "client" || cmd.Name() == "hello":
		var redisErr goredis.Error
		return !errors.As(err, &redisErr) // a refusal is a server's error reply
	}
	return true
}

// redisStoreMetrics reads, at each scrape, what the Redis store counts
// itself: WAITs short of replicas, keys Redis evicted, and each
// primary's replicas (only while writes wait for replicas). The replica
// gauges carry the primary's address, a label with as many values as the
// deployment has primaries; one that is gone drops out at the next scrape.
type redisStoreMetrics struct {
	st                                   *redisstore.Store
	waitShort, evicted                   *prometheus.Desc
	required, needed, promotable, online *prometheus.Desc
}

var _ prometheus.Collector = (*redisStoreMetrics)(nil)

// registerStoreMetrics registers the Redis store's own metrics on reg;
// other stores have none.
func registerStoreMetrics(reg prometheus.Registerer, st store.Store) {
	rs, ok := st.(*redisstore.Store)
	if !ok {
		return
	}
	primary := []string{"primary"}
	reg.MustRegister(&redisStoreMetrics{
		st: rs,
		waitShort: prometheus.NewDesc("tincan_redis_wait_short_total",
			"Writes whose WAIT counted fewer replicas than they waited for (REDIS_WAIT_REPLICAS): each answered 503 while the write stands on the primary.", nil, nil),
		evicted: prometheus.NewDesc("tincan_redis_evicted_keys_total",
			"Keys Redis evicted (its evicted_keys growing) while this instance watched: acknowledged data lost. Only maxmemory-policy noeviction keeps it at 0.", nil, nil),
		required: prometheus.NewDesc("tincan_redis_replicas_required",
			"Replicas a write to this primary waits for: REDIS_WAIT_REPLICAS, or with all the replicas needed.", primary, nil),
		needed: prometheus.NewDesc("tincan_redis_replicas_needed",
			"Replicas a WAIT must count for a write to be on every replica a failover could promote: the promotable ones and the other replicas online.", primary, nil),
		promotable: prometheus.NewDesc("tincan_redis_replicas_promotable",
			"Replicas of this primary a failover could promote (replica-priority above 0, or no nofailover flag on a Cluster), down ones included.", primary, nil),
		online: prometheus.NewDesc("tincan_redis_replicas_online",
			"Replicas connected to this primary now, promotable or not: the most a WAIT can count.", primary, nil),
	})
}

// Describe sends every metric's description.
func (m *redisStoreMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.waitShort, m.evicted, m.required, m.needed, m.promotable, m.online} {
		ch <- d
	}
}

// Collect sends the store's counts as they are now.
func (m *redisStoreMetrics) Collect(ch chan<- prometheus.Metric) {
	s := m.st.Stats()
	ch <- prometheus.MustNewConstMetric(m.waitShort, prometheus.CounterValue, float64(s.WaitShort))
	ch <- prometheus.MustNewConstMetric(m.evicted, prometheus.CounterValue, float64(s.EvictedKeys))
	for _, r := range m.st.Replicas() {
		ch <- prometheus.MustNewConstMetric(m.required, prometheus.GaugeValue, float64(r.Wait), r.Primary)
		ch <- prometheus.MustNewConstMetric(m.needed, prometheus.GaugeValue, float64(r.Needed), r.Primary)
		ch <- prometheus.MustNewConstMetric(m.promotable, prometheus.GaugeValue, float64(r.Promotable), r.Primary)
		ch <- prometheus.MustNewConstMetric(m.online, prometheus.GaugeValue, float64(r.Online), r.Primary)
	}
}
