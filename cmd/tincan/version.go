package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version and revision name the release and the commit this binary was
// built from, when the build stamps them as scripts/release does (-X
// main.version=v0.2.0 -X main.revision=...). Left empty, versionLine
// falls back to what the Go toolchain recorded.
var version, revision string

// versionLine is what tincan -version prints.
func versionLine() string {
	v, r := version, revision
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && r == "" {
				r = s.Value
			}
		}
	}
	if v == "" {
		v = "devel"
	}
	if r == "" {
		r = "unknown"
	}
	return fmt.Sprintf("tincan (command line) %s (revision %s, %s %s/%s)", v, r, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
