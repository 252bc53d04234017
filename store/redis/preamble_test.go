package redis

import (
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tincan-dev/tincan/store"
)

// TestScriptsAnswerNamedStatuses: no script answers a quoted word, as a
// status or a move's decision: each comes from the preamble's ST_* and
// DECIDED_*, whose names are Go's table (status.go), so Go knows every
// status a script can answer.
func TestScriptsAnswerNamedStatuses(t *testing.T) {
	quoted := regexp.MustCompile(`return\s+(nil,\s*nil,\s*)?\{?\s*'([a-z_:]*)'`)
	names, err := fs.Glob(luaFiles, "lua/*.lua")
	if err != nil || len(names) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, name := range names {
		src := mustRead(strings.TrimPrefix(name, "lua/"))
		for i, line := range strings.Split(src, "\n") {
			code, _, _ := strings.Cut(line, "--")
			for _, m := range quoted.FindAllStringSubmatch(code, -1) {
				t.Errorf("%s:%d: %q answers a quoted %q; use ST_* or DECIDED_*", name, i+1, strings.TrimSpace(line), m[2])
			}
		}
	}
}

// TestPreambleIsStrict: a script that names a status Go's table lacks
// fails (Redis refuses to read an undeclared global), rather than
// answering a status Go does not know; the names it has are themselves.
func TestPreambleIsStrict(t *testing.T) {
	t.Parallel()
	s, _ := newInternalStore(t)
	checkStrict(t, s,
		newScript(libText()+"return {ST_OK, ST_TOO_MANY_TOKENS, MARK_RESENT, DECIDED_DONE, MAX_FORMER_TOKENS}"),
		newScript(libText()+"return {ST_TOO_MANY}"))
}

// checkStrict runs known, which returns the preamble's names ST_OK,
// ST_TOO_MANY_TOKENS, MARK_RESENT, DECIDED_DONE and MAX_FORMER_TOKENS, and
// unknown, which returns ST_TOO_MANY, a name the preamble lacks: the first
// must answer the names' values, the second fail.
func checkStrict(t *testing.T, s *Store, known, unknown *script) {
	t.Helper()
	ctx := t.Context()
	r, err := s.exec(ctx, scriptOp(known, 0, nil))[0].reply()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{stOK, stTooManyTokens, markResent, decidedDone, strconv.Itoa(store.MaxFormerTokens)}
	for i, w := range want {
		if r.str(i) != w {
			t.Errorf("value %d is %q, want %q", i, r.str(i), w)
		}
	}
	err = s.exec(ctx, scriptOp(unknown, 0, nil))[0].err
	if err == nil || !strings.Contains(err.Error(), "ST_TOO_MANY") {
		t.Errorf("a status the table lacks: %v, want a script error", err)
	}
}

// TestLibraryIsStrict: the library's functions see the preamble's names,
// defined once at load, as scripts sent by their text do, and a name the
// preamble lacks fails the call there too.
func TestLibraryIsStrict(t *testing.T) {
	t.Parallel()
	s, _ := newInternalStore(t)
	ctx := t.Context()
	lib := newLibrary(func(name string) string {
		switch name {
		case "check.lua":
			return "return {ST_OK, ST_TOO_MANY_TOKENS, MARK_RESENT, DECIDED_DONE, MAX_FORMER_TOKENS}"
		case "describe.lua":
			return "return {ST_TOO_MANY}"
		}
		return mustRead(name)
	})
	if err := lib.load(ctx, s.client); err != nil {
		t.Fatal(err)
	}
	checkStrict(t, s, &script{fn: lib.name + "_check"}, &script{fn: lib.name + "_describe"})
}
