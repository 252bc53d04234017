package redis

import (
	"crypto/sha1"
	"embed"
	"encoding/hex"
	"fmt"
	"sync/atomic"
)

//go:embed lua/*.lua
var luaFiles embed.FS

// script is a Lua script as exec sends it: its whole text and the text's
// SHA1, for EVALSHA.
type script struct {
	src string
	sha string
	// loaded says this store saw the script loaded on its servers; any
	// NOSCRIPT clears it. It only saves round trips (see exec's preload).
	loaded atomic.Bool
}

func newScript(src string) *script {
	sum := sha1.Sum([]byte(src))
	return &script{src: src, sha: hex.EncodeToString(sum[:])}
}

// scripts are the store's Lua scripts: the file of each under lua/, with
// the preamble (preamble.go) and lib.lua in front of it, and coll_lib.lua
// too for the collection scripts.
type scripts struct {
	create, describe, post, postCheck, read, message, ack, close, transfer,
	moveLock, moveCommit, moveAbort, decide, movesAdd, movesDue,
	idemBegin, idemFinish,
	tokenMint, tokenList, tokenRevoke,
	check, memberCheck,
	collCreate, collCheck, collAdd, collRemove, collGet, collDelete, collMembers *script
}

func loadScripts() *scripts {
	lib := libText()
	load := func(name string) *script { return newScript(lib + mustRead(name)) }
	coll := func(name string) *script { return newScript(lib + mustRead("coll_lib.lua") + "\n" + mustRead(name)) }
	return &scripts{
		create:      load("create.lua"),
		describe:    load("describe.lua"),
		post:        load("post.lua"),
		postCheck:   load("post_check.lua"),
		read:        load("read.lua"),
		message:     load("message.lua"),
		ack:         load("ack.lua"),
		close:       load("close.lua"),
		transfer:    load("transfer.lua"),
		moveLock:    load("move_lock.lua"),
		moveCommit:  load("move_commit.lua"),
		moveAbort:   load("move_abort.lua"),
		decide:      load("decide.lua"),
		movesAdd:    load("moves_add.lua"),
		movesDue:    load("moves_due.lua"),
		idemBegin:   load("idem_begin.lua"),
		idemFinish:  load("idem_finish.lua"),
		tokenMint:   load("token_mint.lua"),
		tokenList:   load("token_list.lua"),
		tokenRevoke: load("token_revoke.lua"),
		check:       load("check.lua"),
		memberCheck: load("member_check.lua"),
		collCreate:  coll("coll_create.lua"),
		collCheck:   coll("coll_check.lua"),
		collAdd:     coll("coll_add.lua"),
		collRemove:  coll("coll_remove.lua"),
		collGet:     coll("coll_get.lua"),
		collDelete:  coll("coll_delete.lua"),
		collMembers: coll("coll_members.lua"),
	}
}

// libText is what goes in front of every script: the preamble and lib.lua.
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
