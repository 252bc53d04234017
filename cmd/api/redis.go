package main

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

// Redis modes (REDIS_MODE).
const (
	redisSingle   = "single"
	redisSentinel = "sentinel"
	redisCluster  = "cluster"
)

// redisTarget is the Redis that REDIS_MODE and REDIS_URL name, parsed for
// the mode's go-redis client. Exactly one of the options is set.
type redisTarget struct {
	mode     string
	single   *goredis.Options
	cluster  *goredis.ClusterOptions
	failover *goredis.FailoverOptions
}

// parseRedisTarget reads rawURL the way mode wants it:
//   - single: redis://[user:password@]host:port[/db], rediss:// for TLS
//     (go-redis ParseURL);
//   - cluster: the same, with the other seed nodes as ?addr=host:port
//     (ParseClusterURL);
//   - sentinel: the sentinels' addresses, the first in the host and the
//     others as ?addr=, the monitored master as ?master_name=; user and
//     password in the URL are the sentinels', the data nodes' are
//     ?username= and ?password= (ParseFailoverURL).
//
// Its errors name REDIS_URL and never hold the URL's password.
func parseRedisTarget(mode, rawURL string) (redisTarget, error) {
	t := redisTarget{mode: mode}
	if rawURL == "" {
		return t, fmt.Errorf("REDIS_URL: required with REDIS_MODE=%s", mode)
	}
	var err error
	switch mode {
	case redisSingle:
		t.single, err = goredis.ParseURL(rawURL)
	case redisCluster:
		t.cluster, err = goredis.ParseClusterURL(rawURL)
	case redisSentinel:
		t.failover, err = goredis.ParseFailoverURL(rawURL)
		if err == nil && t.failover.MasterName == "" {
			err = errors.New("the sentinel mode needs ?master_name=<the monitored master>")
		}
	default:
		return t, fmt.Errorf("REDIS_MODE=%q: want single, sentinel or cluster", mode)
	}
	if err != nil {
		return t, fmt.Errorf("REDIS_URL (REDIS_MODE=%s): %s", mode, redact(err.Error(), rawURL))
	}
	return t, nil
}

// redact removes from msg every secret rawURL holds (its password, and a
// password= parameter), and gives a bare message for a URL too broken to
// tell where its password is.
func redact(msg, rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "not a valid redis:// or rediss:// URL"
	}
	var secrets []string
	if p, ok := u.User.Password(); ok && p != "" {
		secrets = append(secrets, p, url.QueryEscape(p), url.PathEscape(p))
	}
	for _, p := range u.Query()["password"] {
		if p != "" {
			secrets = append(secrets, p, url.QueryEscape(p))
		}
	}
	for _, s := range secrets {
		msg = strings.ReplaceAll(msg, s, "xxxxx")
	}
	return msg
}

// addrs returns the addresses the target starts from (the server, the
// cluster's seed nodes, or the sentinels), for logs: never a secret.
func (t redisTarget) addrs() []string {
	switch {
	case t.cluster != nil:
		return t.cluster.Addrs
	case t.failover != nil:
		return t.failover.SentinelAddrs
	default:
		return []string{t.single.Addr}
	}
}

// String names the target for logs and errors: mode and addresses.
func (t redisTarget) String() string {
	s := t.mode + " " + strings.Join(t.addrs(), ",")
	if t.failover != nil {
		s += " master " + t.failover.MasterName
	}
	return s
}

// newClient makes the mode's client, with the timeouts that tune sets on
// a single server's options copied to the other modes' options.
func (t redisTarget) newClient(tune func(*goredis.Options)) goredis.UniversalClient {
	switch {
	case t.cluster != nil:
		var o goredis.Options
		tune(&o)
		c := t.cluster
		c.DialTimeout, c.ReadTimeout, c.WriteTimeout = o.DialTimeout, o.ReadTimeout, o.WriteTimeout
		c.PoolTimeout, c.ContextTimeoutEnabled = o.PoolTimeout, o.ContextTimeoutEnabled
		return goredis.NewClusterClient(c)
	case t.failover != nil:
		var o goredis.Options
		tune(&o)
		f := t.failover
		f.DialTimeout, f.ReadTimeout, f.WriteTimeout = o.DialTimeout, o.ReadTimeout, o.WriteTimeout
		f.PoolTimeout, f.ContextTimeoutEnabled = o.PoolTimeout, o.ContextTimeoutEnabled
		return goredis.NewFailoverClient(f)
	default:
		tune(t.single)
		return goredis.NewClient(t.single)
	}
}
