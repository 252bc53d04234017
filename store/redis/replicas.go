package redis

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"sync"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Counting the replicas a failover could promote.
//
// WAIT answers how many replicas have a write, never which ones, and
// neither Sentinel nor Cluster is bound to promote a replica that has it:
// a write survives a failover only if every replica a failover could
// promote has it. Those are the promotable replicas: replica-priority
// above 0 for Sentinel, cluster-replica-no-failover off for a Cluster
// (both show in what this file reads). Since WAIT counts every replica
// connected to the primary, promotable or not, the count that puts a
// write on every promotable replica is the promotable ones, down ones
// included, plus the others that are online: Replicas.Needed. With
// WaitReplicas set to WaitAll a write waits for that many; with a number,
// the watcher (watch.go) compares the number with it and warns when it
// cannot hold.
//
// The replicas are counted, per primary, from the topology's own memory,
// which keeps a replica that went down (Sentinel can promote it once it
// is back, and a write acknowledged without it would then be lost):
//   - Sentinel: SENTINEL REPLICAS of the master, asked of the sentinels in
//     turn; it lists down replicas too, with their last slave-priority.
//     Replicas the primary lists that Sentinel hides (replica-announced no)
//     are added, since Sentinel may still promote them.
//   - Cluster: each primary's CLUSTER NODES, whose replicas of it include
//     failed ones, with the nofailover flag, and the replicas its INFO
//     replication lists that gossip has not yet made known as such.
//   - A single server: the replicas its INFO replication lists, each asked
//     for its own slave_priority. The primary forgets a replica the moment
//     it disconnects, so the store remembers every replica it has seen
//     until the primary's replication id changes (a new primary) or the
//     process restarts.
//
// A replica whose priority was never read (unreachable, INFO refused by an
// ACL) counts as promotable: the safe side, where writes wait for it (and
// answer 503 while it is away) rather than be acknowledged without a
// replica a failover may choose. A replica added, or reconnected with
// priority 0, counts from the next count (CheckInterval) on.

// WaitAll, as Options.WaitReplicas, makes every write that waits for
// replicas wait until every promotable replica of the primary it goes to
// has it: for Replicas.Needed replicas, as the store last counted them
// (see CheckInterval). It is the largest int32, not a negative number, on
// purpose: code that reads WaitReplicas above zero as "writes wait" sees
// it as waiting, and a WAIT sent with it by mistake can never be
// satisfied, so a mistake answers 503, never an acknowledgement the
// replicas lack.
const WaitAll = math.MaxInt32

// Replicas is what the store last learned of one primary's replicas.
type Replicas struct {
	// Primary is the primary's address.
	Primary string
	// Wait is how many replicas a write to this primary waits for: the
	// WaitReplicas setting, or Needed with WaitAll.
	Wait int
	// Needed is the fewest replicas a WAIT must count for a write to be
	// on every promotable replica: Promotable, plus the replicas online
	// that are not promotable, since WAIT counts those too.
	Needed int
	// Promotable counts the replicas a failover could promote, down ones
	// included, and those whose priority could not be read.
	Promotable int
	// Unread counts the promotable replicas whose priority was never read
	// (unreachable, refused): counted promotable to be safe.
	Unread int
	// Online counts the replicas connected to the primary now, promotable
	// or not: the most a WAIT can count.
	Online int
}

// Problems says, in sentences for an operator, why writes to this
// primary cannot keep their promise: a wait below Needed (a failover can
// lose an acknowledged write) and a wait above the replicas online (every
// write fails). Nil when there is none.
func (r Replicas) Problems() []string {
	var out []string
	if r.Wait < r.Needed {
		out = append(out, fmt.Sprintf("a write waits for %d replica(s), fewer than the %d that put it on every replica a failover could promote "+
			"(%d promotable, down ones included, and %d others online, which WAIT counts as well): "+
			"a failover can lose an acknowledged write; wait for all of them (REDIS_WAIT_REPLICAS=all)",
			r.Wait, r.Needed, r.Promotable, r.Needed-r.Promotable))
	}
	if r.Wait > r.Online {
		out = append(out, fmt.Sprintf("a write waits for %d replica(s) but %d are online: every write answers 503 until enough are back "+
			"(a replica with replica-priority 0, or cluster-replica-no-failover yes on a Cluster, holds no write up while it is down)",
			r.Wait, r.Online))
	}
	return out
}

// replica is one replica as a count finds it.
type replica struct {
	// priority is its replica-priority (0: never promoted), or -1 when
	// unknown, which counts as promotable.
	priority int
	online   bool
}

// unknownPriority marks a replica whose priority was never read.
const unknownPriority = -1

// tally counts one primary's replicas into r.
func tally(primary string, replicas map[string]replica) Replicas {
	r := Replicas{Primary: primary}
	for _, rep := range replicas {
		if rep.online {
			r.Online++
		}
		if rep.priority != 0 {
			r.Promotable++
			r.Needed++
		} else if rep.online {
			r.Needed++
		}
		if rep.priority == unknownPriority {
			r.Unread++
		}
	}
	return r
}

// counter counts the promotable replicas of every primary. It belongs
// to the watcher's goroutine (and to New, before that starts).
type counter struct {
	client   goredis.UniversalClient
	sentinel *goredis.FailoverOptions
	// dial is the base of the options of the connections to replicas and
	// sentinels: the data nodes' credentials and TLS, short timeouts.
	dial goredis.Options
	// probes are the connections to replicas, and sentinels those to the
	// sentinels, by address. One that fails is closed and made again next
	// time, so that go-redis never starts its background redial (which
	// would outlive Close by a second).
	probes    map[string]*goredis.Client
	sentinels map[string]*goredis.SentinelClient
	// remembered are a single server's replicas ever seen since its
	// replication id became replid.
	remembered map[string]replica
	replid     string
}

func newCounter(client goredis.UniversalClient, sentinel *goredis.FailoverOptions, opts Options) *counter {
	c := &counter{client: client, sentinel: sentinel,
		probes: map[string]*goredis.Client{}, sentinels: map[string]*goredis.SentinelClient{}}
	switch {
	case sentinel != nil:
		c.dial.Username, c.dial.Password, c.dial.TLSConfig = sentinel.Username, sentinel.Password, sentinel.TLSConfig
	default:
		switch cl := client.(type) {
		case *goredis.Client:
			o := cl.Options()
			c.dial.Username, c.dial.Password, c.dial.TLSConfig = o.Username, o.Password, o.TLSConfig
		case *goredis.ClusterClient:
			o := cl.Options()
			c.dial.Username, c.dial.Password, c.dial.TLSConfig = o.Username, o.Password, o.TLSConfig
		}
	}
	c.dial.DialTimeout, c.dial.ReadTimeout, c.dial.WriteTimeout = opts.Timeout, opts.Timeout, opts.Timeout
	c.dial.ContextTimeoutEnabled = true
	c.dial.MaxRetries = -1 // the next count is the retry
	c.dial.DialerRetries = 1
	// Above the one dial a failing probe makes before it is closed:
	// reaching PoolSize failed dials starts go-redis's redial.
	c.dial.PoolSize = 2
	c.dial.DisableIdentity = true
	c.dial.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return c
}

// count returns the replicas of every primary: one entry, or one per
// primary of a Cluster.
func (c *counter) count(ctx context.Context) ([]Replicas, error) {
	switch {
	case isCluster(c.client):
		return c.countCluster(ctx, c.client.(*goredis.ClusterClient))
	case c.sentinel != nil:
		return c.countSentinel(ctx)
	default:
		return c.countSingle(ctx)
	}
}

func isCluster(client goredis.UniversalClient) bool {
	_, ok := client.(*goredis.ClusterClient)
	return ok
}

// countSingle counts the replicas of a single server, remembering those
// it has seen (see the top of this file).
func (c *counter) countSingle(ctx context.Context) ([]Replicas, error) {
	info, err := readReplication(ctx, c.client)
	if err != nil {
		return nil, err
	}
	if info.replid != c.replid {
		c.remembered, c.replid = map[string]replica{}, info.replid
	}
	for addr := range c.remembered {
		rep := c.remembered[addr]
		rep.online = false
		c.remembered[addr] = rep
	}
	for addr, online := range info.replicas {
		rep, seen := c.remembered[addr]
		if !seen {
			rep.priority = unknownPriority
		}
		if p, ok := c.probePriority(ctx, addr); ok {
			rep.priority = p
		}
		rep.online = online
		c.remembered[addr] = rep
	}
	c.forgetProbes(c.remembered)
	addr := ""
	if cl, ok := c.client.(*goredis.Client); ok {
		addr = cl.Options().Addr
	}
	return []Replicas{tally(addr, c.remembered)}, nil
}

// countSentinel counts the replicas Sentinel knows of the master, and
// those the primary lists that Sentinel does not.
func (c *counter) countSentinel(ctx context.Context) ([]Replicas, error) {
	primary, listed, err := c.askSentinels(ctx)
	if err != nil {
		return nil, err
	}
	info, err := readReplication(ctx, c.client)
	if err != nil {
		return nil, err
	}
	replicas := map[string]replica{}
	for _, m := range listed {
		addr := net.JoinHostPort(m["ip"], m["port"])
		p, err := strconv.Atoi(m["slave-priority"])
		if err != nil {
			p = unknownPriority
		}
		replicas[addr] = replica{priority: p, online: info.replicas[addr]}
	}
	for addr, online := range info.replicas {
		if _, known := replicas[addr]; known {
			continue
		}
		p, ok := c.probePriority(ctx, addr)
		if !ok {
			p = unknownPriority
		}
		replicas[addr] = replica{priority: p, online: online}
	}
	c.forgetProbes(replicas)
	return []Replicas{tally(primary, replicas)}, nil
}

// askSentinels returns the master's address and its replicas from the
// first sentinel that answers.
func (c *counter) askSentinels(ctx context.Context) (string, []map[string]string, error) {
	var errs []error
	for _, addr := range c.sentinel.SentinelAddrs {
		sc := c.sentinels[addr]
		if sc == nil {
			o := c.dial
			o.Addr = addr
			o.Username, o.Password = c.sentinel.SentinelUsername, c.sentinel.SentinelPassword
			o.TLSConfig = forHost(c.sentinel.TLSConfig, addr)
			sc = goredis.NewSentinelClient(&o)
			c.sentinels[addr] = sc
		}
		hp, err := sc.GetMasterAddrByName(ctx, c.sentinel.MasterName).Result()
		if err == nil && len(hp) != 2 {
			err = fmt.Errorf("SENTINEL GET-MASTER-ADDR-BY-NAME answered %q", hp)
		}
		var listed []map[string]string
		if err == nil {
			listed, err = sc.Replicas(ctx, c.sentinel.MasterName).Result()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("sentinel %s: %w", addr, err))
			_ = sc.Close()
			delete(c.sentinels, addr)
			continue
		}
		return net.JoinHostPort(hp[0], hp[1]), listed, nil
	}
	return "", nil, fmt.Errorf("no sentinel listed the replicas of %q: %w", c.sentinel.MasterName, errors.Join(errs...))
}

// countCluster counts, for each primary, its replicas in its own CLUSTER
// NODES, failed ones included; those flagged nofailover are not
// promotable.
func (c *counter) countCluster(ctx context.Context, cc *goredis.ClusterClient) ([]Replicas, error) {
	var mu sync.Mutex
	var out []Replicas
	err := cc.ForEachMaster(ctx, func(ctx context.Context, node *goredis.Client) error {
		nodes, err := node.ClusterNodes(ctx).Result()
		if err != nil {
			return fmt.Errorf("CLUSTER NODES on %s: %w", node.Options().Addr, err)
		}
		info, err := readReplication(ctx, node)
		if err != nil {
			return fmt.Errorf("on %s: %w", node.Options().Addr, err)
		}
		replicas := clusterReplicas(nodes)
		for addr, rep := range replicas {
			rep.online = info.replicas[addr]
			replicas[addr] = rep
		}
		for addr, online := range info.replicas {
			if _, listed := replicas[addr]; !listed {
				// Connected before gossip told this node what it is:
				// its flags are unknown yet.
				replicas[addr] = replica{priority: unknownPriority, online: online}
			}
		}
		r := tally(node.Options().Addr, replicas)
		mu.Lock()
		defer mu.Unlock()
		out = append(out, r)
		return nil
	})
	return out, err
}

// probePriority asks the replica at addr for its own replica-priority
// (INFO replication's slave_priority, which needs no CONFIG permission).
// ok is false when it could not be read.
func (c *counter) probePriority(ctx context.Context, addr string) (priority int, ok bool) {
	p := c.probes[addr]
	if p == nil {
		o := c.dial
		o.Addr = addr
		o.TLSConfig = forHost(c.dial.TLSConfig, addr)
		p = goredis.NewClient(&o)
		c.probes[addr] = p
	}
	text, err := p.Info(ctx, "replication").Result()
	if err != nil {
		_ = p.Close()
		delete(c.probes, addr)
		return unknownPriority, false
	}
	n, err := strconv.Atoi(infoFields(text)["slave_priority"])
	if err != nil {
		return unknownPriority, false
	}
	return n, true
}

// forgetProbes closes the connections to replicas no longer in keep.
func (c *counter) forgetProbes(keep map[string]replica) {
	for addr, p := range c.probes {
		if _, ok := keep[addr]; !ok {
			_ = p.Close()
			delete(c.probes, addr)
		}
	}
}

// close closes every connection the counter opened.
func (c *counter) close() {
	c.forgetProbes(nil)
	for addr, sc := range c.sentinels {
		_ = sc.Close()
		delete(c.sentinels, addr)
	}
}

// forHost is cfg for a server at addr: TLS names the server it checks, and
// a replica or sentinel is not the host the URL named.
func forHost(cfg *tls.Config, addr string) *tls.Config {
	if cfg == nil {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return cfg
	}
	c := cfg.Clone()
	c.ServerName = host
	return c
}
