// Package migrations holds the versions of tincan's Redis key schema, as
// ordered steps that store/redis applies when it starts.
//
// Each step is a Lua script run with KEYS[1] = the schema key (the store's
// prefix + "schema") and ARGV[1] = the step's version. A step is a
// compare-and-set on that key: it applies only when the schema is exactly
// one version behind it, does nothing when the schema is already at or past
// it, and fails when the schema is further behind (a step was skipped). So
// several instances may start at once: each step runs atomically on the
// server, and whoever comes second finds it done.
//
// A step that changes how existing data is kept also has a channel script,
// channel/<the step's file name>, which store/redis runs on every channel
// (every <prefix>{T}:channel key, on every primary) before the step itself,
// with the channel's keys as KEYS: channel, q1, q2, former. It must be
// idempotent, since instances starting together each run it, and leave a
// channel already converted as it is. Only then does the step record its
// version, so that no instance of this build serves data not yet
// converted; an older build then stops being ready.
//
// A build refuses to start against a schema newer than Version: it would
// not know what the newer keys mean.
package migrations

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Version is the schema version this build writes and expects: the version
// of the last step.
const Version = 4

// Step is one schema change.
type Step struct {
	// Version is the schema version the step establishes.
	Version int
	// Name is the step's file name, for logs.
	Name string
	// Script is the step's Lua source.
	Script string
	// Channel is the Lua source run on each channel before Script, or ""
	// when the step converts no data (see the package doc).
	Channel string
}

//go:embed *.lua channel/*.lua
var files embed.FS

// Steps returns every step, oldest first. Step files are named
// "<4-digit version>_<what>.lua"; the versions run 1, 2, 3... with no gap,
// and the last one is Version.
func Steps() []Step {
	steps, err := load(files, Version)
	if err != nil {
		// The files are compiled in, so this is a broken build, caught by
		// the package's tests.
		panic(err)
	}
	return steps
}

// load reads the steps in fsys, which must end at version.
func load(fsys fs.FS, version int) ([]Step, error) {
	names, err := fs.Glob(fsys, "*.lua")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	steps := make([]Step, 0, len(names))
	for i, name := range names {
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || len(num) != 4 || err != nil {
			return nil, fmt.Errorf("migration %s: name must be NNNN_<what>.lua", name)
		}
		if v != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", name, i+1)
		}
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		channel, err := fs.ReadFile(fsys, "channel/"+name)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		steps = append(steps, Step{Version: v, Name: name, Script: string(src), Channel: string(channel)})
	}
	if extra, err := fs.Glob(fsys, "channel/*.lua"); err == nil {
		for _, name := range extra {
			if !slices.Contains(names, path.Base(name)) {
				return nil, fmt.Errorf("migration %s: no step of that name", name)
			}
		}
	}
	if len(steps) != version {
		return nil, fmt.Errorf("migrations: %d steps but Version is %d", len(steps), version)
	}
	return steps, nil
}
