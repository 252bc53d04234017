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
			if err := s.eachChannel(ctx, newScript(step.Channel)); err != nil {
				return fmt.Errorf("redis store: migration %s: %w", step.Name, err)
			}
		}
		r := s.exec(ctx, scriptOp(newScript(step.Script), 0, []string{s.keys.schema()}, step.Version))[0]
		if r.err != nil {
			return fmt.Errorf("redis store: migration %s: %w", step.Name, r.err)
		}
		v64, ok := r.val.(int64)
		if !ok {
			return fmt.Errorf("redis store: migration %s answered %v", step.Name, r.val)
		}
		v := int(v64)
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
	v, err := s.exec(ctx, command("get", s.keys.schema()))[0].text()
	if errors.Is(err, goredis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, err
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
// primary, migrateBatch channels an exec (a round trip per node).
func (s *Store) eachChannel(ctx context.Context, sc *script) error {
	if cc, ok := s.client.(*goredis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error {
			return s.eachChannelOn(ctx, c, sc)
		})
	}
	return s.eachChannelOn(ctx, s.client, sc)
}

// eachChannelOn is eachChannel on one primary. SCAN walks that node's
// keys, so it goes to the node itself; the scripts go through exec.
func (s *Store) eachChannelOn(ctx context.Context, node goredis.Cmdable, sc *script) error {
	match := globEscape(s.keys.prefix) + "{*}:channel"
	iter := node.Scan(ctx, 0, match, 1000).Iterator()
	var batch []op
	flush := func() error {
		var errs []error
		for _, r := range s.exec(ctx, batch...) {
			errs = append(errs, r.err)
		}
		batch = batch[:0]
		return errors.Join(errs...)
	}
	for iter.Next(ctx) {
		tag, ok := strings.CutPrefix(iter.Val(), s.keys.prefix+"{")
		tag, ok2 := strings.CutSuffix(tag, "}:channel")
		if !ok || !ok2 || strings.ContainsAny(tag, "{}") {
			continue
		}
		batch = append(batch, scriptOp(sc, 0, s.keys.forTag(tag).list()))
		if len(batch) == migrateBatch {
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

// globEscape escapes what SCAN's MATCH would take for a pattern.
func globEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`).Replace(s)
}
