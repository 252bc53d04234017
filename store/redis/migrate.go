package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"

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
