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
		"bad name": {"0001_a.lua": {Data: []byte("x")}, "2_b.lua": {Data: []byte("x")}},
		"channel script of no step": {
			"0001_a.lua": {Data: []byte("x")}, "0002_b.lua": {Data: []byte("x")}, "channel/0002_c.lua": {Data: []byte("x")},
		},
	} {
		if _, err := load(fsys, 2); err == nil {
			t.Errorf("%s: load succeeded", name)
		}
	}
}

func TestChannelScripts(t *testing.T) {
	steps, err := load(fstest.MapFS{
		"0001_a.lua":         {Data: []byte("a")},
		"0002_b.lua":         {Data: []byte("b")},
		"channel/0002_b.lua": {Data: []byte("each")},
	}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 2 || steps[0].Channel != "" || steps[1].Channel != "each" {
		t.Errorf("steps %+v, want the channel script on step 2 only", steps)
	}
	// The bound on dead tokens came with version 2, converting each
	// channel's set.
	if s := Steps(); s[1].Name != "0002_former_zset.lua" || s[1].Channel == "" {
		t.Errorf("step 2: %+v", s[1])
	}
	// The queues' bytes came with version 3, counted on each channel.
	if s := Steps(); s[2].Name != "0003_queue_bytes.lua" || s[2].Channel == "" {
		t.Errorf("step 3: %+v", s[2])
	}
	// Binary messages came with version 4, adding fields and converting
	// nothing.
	if s := Steps(); s[3].Name != "0004_binary.lua" || s[3].Channel != "" {
		t.Errorf("step 4: %+v", s[3])
	}
}
