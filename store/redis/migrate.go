package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/migrations"
)

// migrate brings the key schema up to migrations.Version, step by step.
// Each step is an atomic compare-and-set on the schema key, so instances
// starting together do each step once between them.
func (s *Store) migrate(ctx context.Context) error {
	cur, err := s.schemaVersion(ctx)
	if err != nil {
		return err
	}
	if err := newer(cur); err != nil {
		return err
	}
	for _, step := range migrations.Steps() {
		if step.Version <= cur {
			continue
		}
		if step.Channel != "" {
			if err := s.eachChannel(ctx, goredis.NewScript(step.Channel)); err != nil {
				return fmt.Errorf("redis store: migration %s: %w", step.Name, err)
			}
		}
		v, err := goredis.NewScript(step.Script).Run(ctx, s.client, []string{s.keys.schema()}, step.Version).Int()
		if err != nil {
			return fmt.Errorf("redis store: migration %s: %w", step.Name, s.wrap(ctx, err))
		}
		if err := newer(v); err != nil {
			return err // another instance, of a newer build, went further
		}
		s.log.Debug("redis schema migrated", "step", step.Name, "version", v)
		cur = v
	}
	return nil
}

func newer(v int) error {
	if v > migrations.Version {
		return fmt.Errorf("redis store: the key schema is at version %d, newer than this build's version %d: run a newer tincan", v, migrations.Version)
	}
	return nil
}

// schemaVersion reads the schema version; 0 when none was written yet.
func (s *Store) schemaVersion(ctx context.Context) (int, error) {
	v, err := s.client.Get(ctx, s.keys.schema()).Result()
	if errors.Is(err, goredis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, s.wrap(ctx, err)
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("redis store: schema key %s holds %q", s.keys.schema(), v)
	}
	return n, nil
}

// migrateBatch is how many channels' conversions go in one pipeline.
const migrateBatch = 500

// eachChannel runs a migration's channel script (see package migrations)
// on every channel under the store's prefix, found by SCAN on every
// primary, migrateBatch channels a round trip.
func (s *Store) eachChannel(ctx context.Context, sc *goredis.Script) error {
	scan := func(ctx context.Context, node goredis.Cmdable) error {
		match := globEscape(s.keys.prefix) + "{*}:channel"
		iter := node.Scan(ctx, 0, match, 1000).Iterator()
		var calls []call
		flush := func() error {
			_, errs := s.pipelined(ctx, calls)
			calls = calls[:0]
			return errors.Join(errs...)
		}
		for iter.Next(ctx) {
			tag, ok := strings.CutPrefix(iter.Val(), s.keys.prefix+"{")
			tag, ok2 := strings.CutSuffix(tag, "}:channel")
			if !ok || !ok2 || strings.ContainsAny(tag, "{}") {
				continue
			}
			calls = append(calls, call{script: sc, keys: s.keys.forTag(tag).list()})
			if len(calls) == migrateBatch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := iter.Err(); err != nil {
			return s.wrap(ctx, err)
		}
		return flush()
	}
	if cc, ok := s.client.(*goredis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error { return scan(ctx, c) })
	}
	return scan(ctx, s.client)
}

// globEscape escapes what SCAN's MATCH would take for a pattern.
func globEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`).Replace(s)
}
