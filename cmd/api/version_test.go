package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// TestVersionFlag: -version prints one line naming the build and starts
// nothing; unstamped (as go test builds it) it says what it can.
func TestVersionFlag(t *testing.T) {
	for _, flag := range versionFlags {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"api", flag}, env(nil), &out); err != nil {
			t.Fatalf("%s: %v", flag, err)
		}
		want := readBuild().String() + "\n"
		if out.String() != want || !strings.HasPrefix(want, "tincan ") || !strings.Contains(want, runtime.Version()) {
			t.Errorf("%s printed %q, want %q", flag, out.String(), want)
		}
	}
	// Not a flag of the service: the version flag alone.
	if err := run(context.Background(), []string{"api", "-version", "x"}, env(nil), &bytes.Buffer{}); err == nil {
		t.Error("-version with an extra argument was accepted")
	}
}

// buildStamped builds this command into a temporary directory with the
// version and revision stamped as the Dockerfile and scripts/release do
// (with their other flags left out, so that only the link is new to the
// build cache).
func buildStamped(t *testing.T, version, revision string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "api")
	cmd := exec.Command("go", "build",
		"-ldflags", "-X main.version="+version+" -X main.revision="+revision, "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestStampedBuild: a binary built with -ldflags -X reports the stamped
// version and revision in -version, its start-up log and
// tincan_build_info, and its healthcheck mode exits 0 against it running
// and 1 once it has stopped.
func TestStampedBuild(t *testing.T) {
	const version, revision = "v9.8.7-test", "0123456789abcdef0123456789abcdef01234567"
	bin := buildStamped(t, version, revision)

	out, err := exec.Command(bin, "-version").Output()
	if err != nil {
		t.Fatalf("-version: %v", err)
	}
	want := "tincan " + version + " (revision " + revision + ", " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + ")\n"
	if string(out) != want {
		t.Errorf("-version printed %q, want %q", out, want)
	}

	p := startAPI(t, bin, map[string]string{"LOG_FORMAT": "json"})
	addr := strings.TrimPrefix(p.base, "http://")
	if logs := p.logs.String(); !strings.Contains(logs, `"msg":"starting","version":"`+version+`","revision":"`+revision+`"`) {
		t.Errorf("the start-up log does not name the build:\n%s", logs)
	}
	metric := `tincan_build_info{goversion="` + runtime.Version() + `",revision="` + revision + `",version="` + version + `"} 1`
	if m := get(t, p.base+"/metrics"); !strings.Contains(m, metric) {
		t.Errorf("/metrics lacks %s:\n%s", metric, grepLines(m, "build_info"))
	}

	check := func() (int, string) {
		cmd := exec.Command(bin, healthcheckCommand)
		cmd.Env = []string{"ADDR=" + addr}
		out, err := cmd.CombinedOutput()
		if exit, ok := err.(*exec.ExitError); ok {
			return exit.ExitCode(), string(out)
		} else if err != nil {
			t.Fatalf("healthcheck: %v", err)
		}
		return 0, string(out)
	}
	if code, out := check(); code != 0 {
		t.Errorf("healthcheck of a running service: exit %d: %s", code, out)
	}
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	<-p.done
	if code, out := check(); code != 1 || !strings.Contains(out, "connection refused") {
		t.Errorf("healthcheck of a stopped service: exit %d: %s", code, out)
	}
}

// TestBuildFallback: what the build reports, stamped or not, from what
// the toolchain recorded.
func TestBuildFallback(t *testing.T) {
	vcs := func(module string, settings ...string) *debug.BuildInfo {
		info := &debug.BuildInfo{Main: debug.Module{Version: module}}
		for i := 0; i+1 < len(settings); i += 2 {
			info.Settings = append(info.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return info
	}
	for _, tc := range []struct {
		name                      string
		version, revision         string
		info                      *debug.BuildInfo
		wantVersion, wantRevision string
	}{
		{"stamped", "v1.0.0", "abc", vcs("v0.9.0", "vcs.revision", "def"), "v1.0.0", "abc"},
		{"go install of a tag", "", "", vcs("v0.9.0"), "v0.9.0", "unknown"},
		{"a build in a checkout", "", "", vcs("v0.0.0-20261207190000-26b3fcf4926a+dirty", "vcs.revision", "26b3fcf", "vcs.modified", "true"),
			"v0.0.0-20261207190000-26b3fcf4926a+dirty", "26b3fcf+dirty"},
		{"a clean checkout", "", "", vcs("(devel)", "vcs.revision", "26b3fcf", "vcs.modified", "false"), "devel", "26b3fcf"},
		{"go run", "", "", vcs("(devel)"), "devel", "unknown"},
		{"no record", "", "", nil, "devel", "unknown"},
		{"version stamped alone", "v1.0.0", "", vcs("(devel)", "vcs.revision", "26b3fcf"), "v1.0.0", "26b3fcf"},
	} {
		b := newBuild(tc.version, tc.revision, tc.info)
		if b.Version != tc.wantVersion || b.Revision != tc.wantRevision || b.GoVersion != runtime.Version() {
			t.Errorf("%s: %+v, want version %q revision %q", tc.name, b, tc.wantVersion, tc.wantRevision)
		}
	}
}

// TestReleaseScript: scripts/release plans the whole matrix, each build
// static, trimmed and stamped, and one real build (for this machine)
// reports the version it was given.
func TestReleaseScript(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	script := filepath.Join("..", "..", "scripts", "release")
	plan, err := exec.Command("bash", script, "-n", "v1.2.3").Output()
	if err != nil {
		t.Fatalf("scripts/release -n: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(plan)), "\n")
	var targets []string
	for i, l := range lines {
		// For each target, the service, then the command-line client.
		pkg := []string{" ./cmd/api", " ./cmd/tincan"}[i%2]
		for _, want := range []string{"CGO_ENABLED=0", "-trimpath", `main.version=v1.2.3\ `, "main.revision=", pkg} {
			if !strings.Contains(l, want) {
				t.Errorf("a build without %q: %s", want, l)
			}
		}
		if i%2 == 1 {
			continue
		}
		f := strings.Fields(l)
		targets = append(targets, strings.TrimPrefix(f[2], "GOOS=")+"/"+strings.TrimPrefix(f[3], "GOARCH="))
	}
	want := []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"}
	if strings.Join(targets, " ") != strings.Join(want, " ") {
		t.Errorf("targets %v, want %v", targets, want)
	}

	if err := exec.Command("bash", script, "-n", "v1 2").Run(); err == nil {
		t.Error("a version with a space was accepted")
	}

	// A static, trimmed build compiles everything again, apart from the
	// build cache of the other tests: minutes on a small machine.
	if os.Getenv("TINCAN_LONG_TESTS") != "1" {
		t.Skip("one real release build: TINCAN_LONG_TESTS=1")
	}
	out := t.TempDir()
	cmd := exec.Command("bash", script, "v1.2.3-test")
	cmd.Env = append(os.Environ(), "OUT="+out, "TARGETS="+runtime.GOOS+"/"+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/release: %v\n%s", err, b)
	}
	sums, err := os.ReadFile(filepath.Join(out, "v1.2.3-test", "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	// The service, and the command-line client (cmd/tincan).
	for _, b := range []struct{ name, says string }{
		{"tincan-v1.2.3-test-", "tincan v1.2.3-test (revision "},
		{"tincan-cli-v1.2.3-test-", "tincan (command line) v1.2.3-test (revision "},
	} {
		name := b.name + runtime.GOOS + "-" + runtime.GOARCH
		if runtime.GOOS == "windows" {
			name += ".exe"
		}
		bin := filepath.Join(out, "v1.2.3-test", name)
		v, err := exec.Command(bin, "-version").Output()
		if err != nil {
			t.Fatalf("%s -version: %v", name, err)
		}
		if !strings.HasPrefix(string(v), b.says) {
			t.Errorf("%s -version: %q", name, v)
		}
		if !strings.Contains(string(sums), "  "+name+"\n") {
			t.Errorf("SHA256SUMS %q lacks %s", sums, name)
		}
	}
}
