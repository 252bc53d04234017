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
// A build refuses to start against a schema newer than Version: it would
// not know what the newer keys mean.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// Version is the schema version this build writes and expects: the version
// of the last step.
const Version = 1

// Step is one schema change.
type Step struct {
	// Version is the schema version the step establishes.
	Version int
	// Name is the step's file name, for logs.
	Name string
	// Script is the step's Lua source.
	Script string
}

//go:embed *.lua
var files embed.FS

// Steps returns every step, oldest first. Step files are named
// "<4-digit version>_<what>.lua"; the versions run 1, 2, 3... with no gap,
// and the last one is Version.
func Steps() []Step {
	steps, err := load(files)
	if err != nil {
		// The files are compiled in, so this is a broken build, caught by
		// the package's tests.
		panic(err)
	}
	return steps
}

func load(fsys fs.FS) ([]Step, error) {
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
		steps = append(steps, Step{Version: v, Name: name, Script: string(src)})
	}
	if len(steps) != Version {
		return nil, fmt.Errorf("migrations: %d steps but Version is %d", len(steps), Version)
	}
	return steps, nil
}
