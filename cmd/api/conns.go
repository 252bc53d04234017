package main

import (
	"fmt"
	"log/slog"
	"net/netip"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tincan-dev/tincan/internal/connlimit"
)

// fdReserve is the descriptors kept for everything but client
// connections: the store's pool, log files, the debug listener.
const fdReserve = 256

// connLimits reads the connection bounds into cfg.
func (l *loader) connLimits(cfg *Config) {
	cfg.MaxConnectionsPerClient = l.nonNegativeInt("MAX_CONNECTIONS_PER_CLIENT", DefaultMaxConnectionsPerClient,
		"most connections open at once from one client address (idle, streaming and long-polling alike); 0 is no limit")
	cfg.MaxConnections = l.nonNegativeInt("MAX_CONNECTIONS", DefaultMaxConnections,
		"most connections open at once in all; 0 is as many as the descriptor limit allows")
	cfg.MaxPendingConnections = l.nonNegativeInt("MAX_PENDING_CONNECTIONS", DefaultMaxPendingConnections,
		"most connections open at once that have not finished their first request's headers; 0 is no limit")
}

// newConnLimiter raises the descriptor limit, logs it, and returns the
// limiter of the listener. The global bound never exceeds what the
// descriptors allow, so accept never fails with "too many open files".
func newConnLimiter(cfg Config, proxies []netip.Prefix, tls bool, logger *slog.Logger) *connlimit.Limiter {
	global := cfg.MaxConnections
	soft, hard, err := connlimit.RaiseFileLimit()
	if err != nil {
		logger.Warn("file descriptor limit: could not raise it", "err", err, "soft", soft, "hard", hard)
	} else {
		logger.Info("file descriptor limit", "soft", soft, "hard", hard)
	}
	if soft > fdReserve {
		switch most := int(soft - fdReserve); {
		case global == 0:
			global = most
		case global > most:
			logger.Warn(fmt.Sprintf("MAX_CONNECTIONS lowered to %d: the descriptor limit is %d, of which %d are kept for the rest", most, soft, fdReserve),
				"max_connections", cfg.MaxConnections)
			global = most
		}
	}
	logger.Info("connection limits", "per_client", cfg.MaxConnectionsPerClient, "global", global, "pending", cfg.MaxPendingConnections)
	return connlimit.New(connlimit.Limits{
		PerClient:      cfg.MaxConnectionsPerClient,
		Global:         global,
		Pending:        cfg.MaxPendingConnections,
		TrustedProxies: proxies,
		TLS:            tls,
	})
}

// registerConnMetrics exposes the limiter's counts on reg.
func registerConnMetrics(reg prometheus.Registerer, l *connlimit.Limiter) {
	gauge := func(name, help string, f func(connlimit.Stats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(l.Stats()) })
	}
	refused := func(bound string, f func(connlimit.Stats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "tincan_connections_refused_total",
			Help:        "Connections closed at accept, by the bound they met (client, pending, global), and forwarded requests refused (forwarded).",
			ConstLabels: prometheus.Labels{"bound": bound},
		}, func() float64 { return float64(f(l.Stats())) })
	}
	reg.MustRegister(
		gauge("tincan_connections_open", "Connections open now.", func(s connlimit.Stats) float64 { return float64(s.Open) }),
		gauge("tincan_connections_pending", "Connections open now that have not finished their first request's headers.", func(s connlimit.Stats) float64 { return float64(s.Pending) }),
		gauge("tincan_connections_forwarded", "Requests open now that trusted proxies forward, each counted as a connection of the client it names.", func(s connlimit.Stats) float64 { return float64(s.Forwarded) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tincan_connections_accepted_total", Help: "Connections admitted."},
			func() float64 { return float64(l.Stats().Accepted) }),
		refused("client", func(s connlimit.Stats) uint64 { return s.RefusedPerClient }),
		refused("pending", func(s connlimit.Stats) uint64 { return s.RefusedPending }),
		refused("global", func(s connlimit.Stats) uint64 { return s.RefusedGlobal }),
		refused("forwarded", func(s connlimit.Stats) uint64 { return s.RefusedForwarded }),
	)
}
