package main

import (
	"os"
	"regexp"
	"slices"
	"testing"
)

// TestREADMEListsEverySetting checks that the README's settings table
// names exactly the environment variables the service reads: a setting
// added without a row, or a row left for a setting that went, fails.
func TestREADMEListsEverySetting(t *testing.T) {
	var read []string
	if _, err := loadConfig(func(key string) string {
		read = append(read, key)
		return ""
	}); err != nil {
		t.Fatalf("the defaults do not load: %v", err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	// A row's first cell names one setting or several: "| `A`, `B` |".
	var listed []string
	name := regexp.MustCompile("`([A-Z][A-Z0-9_]+)`")
	for _, cell := range regexp.MustCompile("(?m)^\\| (`[A-Z][A-Z0-9_]+`(?:, `[A-Z][A-Z0-9_]+`)*) \\|").FindAllSubmatch(readme, -1) {
		for _, m := range name.FindAllSubmatch(cell[1], -1) {
			listed = append(listed, string(m[1]))
		}
	}
	slices.Sort(read)
	read = slices.Compact(read)
	slices.Sort(listed)
	for _, key := range read {
		if _, found := slices.BinarySearch(listed, key); !found {
			t.Errorf("%s is read but has no row in README.md's settings table", key)
		}
	}
	for _, key := range listed {
		if _, found := slices.BinarySearch(read, key); !found {
			t.Errorf("README.md's settings table lists %s, which the service does not read", key)
		}
	}
	if len(read) == 0 {
		t.Fatal("loadConfig read no setting at all")
	}
}
