package redis

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/tincan-dev/tincan/store"
)

// preamble is the Lua that goes in front of lib.lua in every script: the
// names the scripts share with Go, written from Go's own tables, so that
// the two cannot drift apart. ST (statuses), MARK and DECIDED fail the
// script when asked for a name they lack, so a misspelt status is an
// error in the tests, not a reply Go does not know.
func preamble() string {
	var b strings.Builder
	b.WriteString("-- Written by store/redis/preamble.go from the Go tables: the names\n")
	b.WriteString("-- scripts share with Go. A name ST, MARK or DECIDED lacks is an error.\n")
	b.WriteString("local function strict(what, t)\n")
	b.WriteString("  return setmetatable(t, {__index = function(_, k) error(what .. ' has no ' .. tostring(k), 2) end})\n")
	b.WriteString("end\n")
	luaNames(&b, "ST", slices.Sorted(maps.Keys(statuses)))
	luaNames(&b, "MARK", []string{markReplayed, markResent})
	fmt.Fprintf(&b, "local DECIDED = strict('DECIDED', {done = %q, aborted = %q, pending = %q})\n",
		decidedDone, decidedAborted, undecided)
	fmt.Fprintf(&b, "local MAX_SCOPED_TOKENS = %d\n", store.MaxScopedTokens)
	fmt.Fprintf(&b, "local MAX_FORMER_TOKENS = %d\n", store.MaxFormerTokens)
	luaAllows(&b)
	return b.String()
}

// luaNames writes a strict table naming each of names by itself.
func luaNames(b *strings.Builder, table string, names []string) {
	fmt.Fprintf(b, "local %s = strict('%s', {\n", table, table)
	for _, n := range names {
		fmt.Fprintf(b, "  %s = %q,\n", n, n)
	}
	b.WriteString("})\n")
}

// ops are the operations a scoped token is checked for (store.Op).
var ops = []store.Op{
	store.OpDescribe, store.OpPost, store.OpRead, store.OpAck,
	store.OpClose, store.OpTransfer, store.OpGiveAway, store.OpTokens,
}

// luaAllows writes ALLOWS, what each mintable scope allows by operation,
// from store.Scope.Allows (lib.lua's authorize reads it).
func luaAllows(b *strings.Builder) {
	b.WriteString("local ALLOWS = {\n")
	for _, sc := range []store.Scope{store.ScopePost, store.ScopeListen} {
		fmt.Fprintf(b, "  [%q] = {", string(sc))
		for _, op := range ops {
			if sc.Allows(op) {
				fmt.Fprintf(b, "[%q] = true, ", string(op))
			}
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
}
