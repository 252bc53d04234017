package redis

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/tincan-dev/tincan/store"
)

// lib.lua bounds a port's dead tokens by its own constant, which must be
// the rule both stores keep: store.MaxFormerTokens.
func TestFormerBoundMatchesStore(t *testing.T) {
	m := regexp.MustCompile(`(?m)^local MAX_FORMER_TOKENS = (\d+)$`).FindStringSubmatch(mustRead("lib.lua"))
	if m == nil {
		t.Fatal("lib.lua defines no MAX_FORMER_TOKENS")
	}
	if n, _ := strconv.Atoi(m[1]); n != store.MaxFormerTokens {
		t.Errorf("lib.lua's MAX_FORMER_TOKENS is %d, store.MaxFormerTokens %d", n, store.MaxFormerTokens)
	}
}
