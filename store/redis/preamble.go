package redis

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/tincan-dev/tincan/store"
)

// preamble is the Lua that goes in front of lib.lua in the library (and
// in every script sent by its text): the names the scripts share with Go,
// written from Go's own tables, so that the two cannot drift apart. They
// are locals of the library, defined when Redis loads it; a misspelt one
// is a global, which Redis refuses to read, so it fails the script rather
// than answering a status Go does not know.
func preamble() string {
	var b strings.Builder
	b.WriteString("-- Written by store/redis/preamble.go from the Go tables: the names\n")
	b.WriteString("-- scripts share with Go.\n")
	luaNames(&b, "ST", slices.Sorted(maps.Keys(statuses)))
	luaNames(&b, "MARK", []string{markReplayed, markResent})
	luaConst(&b, "DECIDED_DONE", decidedDone)
	luaConst(&b, "DECIDED_ABORTED", decidedAborted)
	luaConst(&b, "DECIDED_PENDING", undecided)
	fmt.Fprintf(&b, "local MAX_SCOPED_TOKENS = %d\n", store.MaxScopedTokens)
	fmt.Fprintf(&b, "local MAX_FORMER_TOKENS = %d\n", store.MaxFormerTokens)
	luaAllows(&b)
	return b.String()
}

// luaNames writes a constant <prefix>_<NAME> for each of names, naming it.
func luaNames(b *strings.Builder, prefix string, names []string) {
	for _, n := range names {
		luaConst(b, prefix+"_"+strings.ToUpper(n), n)
	}
}

func luaConst(b *strings.Builder, name, value string) {
	fmt.Fprintf(b, "local %s = %q\n", name, value)
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
