package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
)

// version and revision name the release and the commit this binary was
// built from, when the build stamps them, as the Dockerfile and
// scripts/release do:
//
//	go build -ldflags "-X main.version=v0.2.0 -X main.revision=$(git rev-parse HEAD)" ./cmd/api
//
// They are package variables because -X can set nothing else; nothing
// assigns them at run time. Left empty, readBuild falls back to what the
// Go toolchain recorded.
var version, revision string

// build is what readBuild knows of this binary.
type build struct {
	// Version is the stamped version, else the main module's version as
	// the toolchain recorded it (go install of a tag, or a build in a Git
	// checkout, which Go derives from the commit, "+dirty" when the tree
	// had changes), else "devel" (go run, go test).
	Version string
	// Revision is the stamped commit, else the VCS revision the toolchain
	// recorded ("+dirty" when the tree had changes), else "unknown".
	Revision string
	// GoVersion is the toolchain that built it.
	GoVersion string
}

// readBuild reads what this binary knows of its build.
func readBuild() build {
	info, _ := debug.ReadBuildInfo()
	return newBuild(version, revision, info)
}

// newBuild is the build with the stamped version and revision (each
// empty when not stamped) and the toolchain's record, info (nil for
// none).
func newBuild(version, revision string, info *debug.BuildInfo) build {
	b := build{Version: version, Revision: revision, GoVersion: runtime.Version()}
	if info != nil {
		if b.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			b.Version = info.Main.Version
		}
		vcsRevision, dirty := "", false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				vcsRevision = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if b.Revision == "" && vcsRevision != "" {
			b.Revision = vcsRevision
			if dirty {
				b.Revision += "+dirty"
			}
		}
	}
	if b.Version == "" {
		b.Version = "devel"
	}
	if b.Revision == "" {
		b.Revision = "unknown"
	}
	return b
}

// String is the line `api -version` prints.
func (b build) String() string {
	return fmt.Sprintf("tincan %s (revision %s, %s %s/%s)", b.Version, b.Revision, b.GoVersion, runtime.GOOS, runtime.GOARCH)
}

// versionFlags are the arguments that ask for the version.
var versionFlags = []string{"-version", "--version"}

// buildInfoMetric is tincan_build_info: always 1, its labels saying which
// build answers, so that a dashboard can tell instances and releases apart
// across a rolling upgrade.
func buildInfoMetric(b build) prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "tincan_build_info",
		Help:        "Always 1; the labels name this build: its version, commit and Go toolchain.",
		ConstLabels: prometheus.Labels{"version": b.Version, "revision": b.Revision, "goversion": b.GoVersion},
	})
	g.Set(1)
	return g
}
