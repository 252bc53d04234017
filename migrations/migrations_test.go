package migrations

import (
	"testing"
	"testing/fstest"
)

func TestStepsAreOrderedAndEndAtVersion(t *testing.T) {
	steps := Steps()
	if len(steps) == 0 || steps[len(steps)-1].Version != Version {
		t.Fatalf("last step is not Version %d: %+v", Version, steps)
	}
	for i, s := range steps {
		if s.Version != i+1 || s.Script == "" {
			t.Errorf("step %d: %+v", i, s)
		}
	}
}

func TestLoadRefusesGapsAndBadNames(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"gap":      {"0001_a.lua": {Data: []byte("x")}, "0003_b.lua": {Data: []byte("x")}},
		"bad name": {"1_a.lua": {Data: []byte("x")}},
	} {
		if _, err := load(fsys); err == nil {
			t.Errorf("%s: load succeeded", name)
		}
	}
}
