package redis

import (
	"context"
	"crypto/sha1"
	"embed"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	goredis "github.com/redis/go-redis/v9"
)

//go:embed lua/*.lua
var luaFiles embed.FS

// script is a Lua script as exec sends it. The store's own scripts are
// functions of its library (fn, sent with FCALL); a script made on the
// spot (a migration's step, a test's) is its whole text and the text's
// SHA1, sent with EVALSHA.
type script struct {
	// fn is the script's function in the store's library, "" for a
	// script sent by its text.
	fn  string
	src string
	sha string
	// loaded says this store saw the script loaded on its servers; any
	// NOSCRIPT clears it. It only saves round trips (see exec's preload).
	loaded atomic.Bool
}

// newScript is a script sent by its text (EVALSHA, EVAL): migrations and
// tests use it; libText gives them the store's preamble and helpers.
func newScript(src string) *script {
	sum := sha1.Sum([]byte(src))
	return &script{src: src, sha: hex.EncodeToString(sum[:])}
}

// scripts are the store's Lua scripts: the file of each under lua/, as a
// function of one Redis Functions library (see library), whose opening
// defines the preamble (preamble.go), lib.lua and coll_lib.lua once, when
// Redis loads it, rather than on every call.
type scripts struct {
	create, describe, post, postCheck, read, message, ack, close, transfer,
	moveLock, moveCommit, moveAbort, decide, movesAdd, movesDue,
	idemBegin, idemFinish,
	tokenMint, tokenList, tokenRevoke,
	check, memberCheck,
	collCreate, collCheck, collAdd, collRemove, collGet, collDelete, collMembers *script
	lib *library
}

// scriptFiles are the files under lua/ that are scripts, by the name of
// their function in the library (the name after the library's).
var scriptFiles = []string{
	"create", "describe", "post", "post_check", "read", "message", "ack", "close", "transfer",
	"move_lock", "move_commit", "move_abort", "decide", "moves_add", "moves_due",
	"idem_begin", "idem_finish",
	"token_mint", "token_list", "token_revoke",
	"check", "member_check",
	"coll_create", "coll_check", "coll_add", "coll_remove", "coll_get", "coll_delete", "coll_members",
}

// loadScripts returns the scripts of the library made of the files that
// read returns (nil: the build's own).
func loadScripts(read func(name string) string) *scripts {
	if read == nil {
		read = mustRead
	}
	lib := newLibrary(read)
	fn := func(file string) *script { return &script{fn: lib.name + "_" + file} }
	return &scripts{
		create:      fn("create"),
		describe:    fn("describe"),
		post:        fn("post"),
		postCheck:   fn("post_check"),
		read:        fn("read"),
		message:     fn("message"),
		ack:         fn("ack"),
		close:       fn("close"),
		transfer:    fn("transfer"),
		moveLock:    fn("move_lock"),
		moveCommit:  fn("move_commit"),
		moveAbort:   fn("move_abort"),
		decide:      fn("decide"),
		movesAdd:    fn("moves_add"),
		movesDue:    fn("moves_due"),
		idemBegin:   fn("idem_begin"),
		idemFinish:  fn("idem_finish"),
		tokenMint:   fn("token_mint"),
		tokenList:   fn("token_list"),
		tokenRevoke: fn("token_revoke"),
		check:       fn("check"),
		memberCheck: fn("member_check"),
		collCreate:  fn("coll_create"),
		collCheck:   fn("coll_check"),
		collAdd:     fn("coll_add"),
		collRemove:  fn("coll_remove"),
		collGet:     fn("coll_get"),
		collDelete:  fn("coll_delete"),
		collMembers: fn("coll_members"),
		lib:         lib,
	}
}

// library is the store's Lua as one Redis Functions library (Redis 7):
// the preamble, lib.lua and coll_lib.lua, defined once when Redis loads
// it, then each script file as a function, <name>_<file> (post.lua is
// <name>_post), called with FCALL and the KEYS and ARGV its opening
// comment lists. Every function sets the library's KEYS and ARGV to its
// own before its file's code runs, so that the files and the helpers read
// them as in a script (Redis runs one function at a time).
//
// name is "tincan_" and the first 12 hex digits of the code's SHA1: two
// builds with different scripts (a rolling deploy) each load and call
// their own library beside the other, and one build's instances share one.
// Redis keeps a library until FUNCTION DELETE or FLUSH: a former build's
// stays, unused, and small; FUNCTION LIST shows them.
//
// Redis replicates a loaded library to its replicas and saves it with its
// data, but a fresh, flushed or restarted-without-persistence server, or a
// replica promoted before the library reached it, lacks it: exec loads it
// (on every primary of a Cluster) when an FCALL finds its function
// missing, and sends the op again.
type library struct {
	name string
	code string
	// loaded says this store saw the library loaded on its servers; a
	// missing function clears it (see exec's preload).
	loaded atomic.Bool
	// reloading lets one call at a time load the library again, so that
	// the many calls that miss it together (a server restarted under
	// load) do not each send it.
	reloading sync.Mutex
}

func newLibrary(read func(name string) string) *library {
	var body strings.Builder
	body.WriteString("local KEYS, ARGV\n")
	body.WriteString(preamble())
	body.WriteString(read("lib.lua"))
	body.WriteString("\n")
	body.WriteString(read("coll_lib.lua"))
	body.WriteString("\n")
	sum := sha1.New()
	sum.Write([]byte(body.String()))
	for _, f := range scriptFiles {
		fmt.Fprintf(sum, "\x00%s\x00%s", f, read(f+".lua"))
	}
	name := "tincan_" + hex.EncodeToString(sum.Sum(nil))[:12]
	var b strings.Builder
	fmt.Fprintf(&b, "#!lua name=%s\n", name)
	b.WriteString("-- Written by store/redis/scripts.go: the preamble, lib.lua and coll_lib.lua,\n")
	b.WriteString("-- then each script file as the function <library>_<file>.\n")
	b.WriteString(body.String())
	for _, f := range scriptFiles {
		fmt.Fprintf(&b, "\nredis.register_function('%s_%s', function(keys, args)\nKEYS, ARGV = keys, args\n", name, f)
		b.WriteString(read(f + ".lua"))
		b.WriteString("\nend)\n")
	}
	return &library{name: name, code: b.String()}
}

// load loads the library on every primary (each of a Cluster's masters;
// a Sentinel or single client's Do reaches the primary). A server that
// has it already is loaded too.
func (l *library) load(ctx context.Context, client goredis.UniversalClient) error {
	one := func(ctx context.Context, c *goredis.Client) error {
		err := c.FunctionLoad(ctx, l.code).Err()
		if err != nil && goredis.HasErrorPrefix(err, "Library '"+l.name+"' already exists") {
			err = nil
		}
		return err
	}
	var err error
	switch c := client.(type) {
	case *goredis.ClusterClient:
		err = c.ForEachMaster(ctx, one)
	case *goredis.Client:
		err = one(ctx, c)
	default:
		err = fmt.Errorf("redis store: a %T cannot load the library", client)
	}
	if err != nil {
		return fmt.Errorf("redis store: load library %s: %w", l.name, err)
	}
	l.loaded.Store(true)
	return nil
}

// reload loads the library unless a call that missed it as well loaded
// it meanwhile.
func (l *library) reload(ctx context.Context, client goredis.UniversalClient) error {
	l.reloading.Lock()
	defer l.reloading.Unlock()
	if l.loaded.Load() {
		return nil
	}
	return l.load(ctx, client)
}

// missingFunction reports whether err is Redis's answer to an FCALL of a
// function it does not have.
func missingFunction(err error) bool {
	return goredis.HasErrorPrefix(err, "Function not found")
}

// libText is what goes in front of the library's functions, and of every
// script sent by its text: the preamble and lib.lua.
func libText() string {
	return preamble() + mustRead("lib.lua") + "\n"
}

func mustRead(name string) string {
	b, err := luaFiles.ReadFile("lua/" + name)
	if err != nil {
		panic(fmt.Sprintf("redis store: %v", err)) // compiled in: a broken build
	}
	return string(b)
}
