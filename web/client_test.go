package web_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/tincan-dev/tincan/internal/fault"
)

// TestClientPackage runs the client package's own tests
// (web/client/test/*.test.mjs, node:test) in Node against a real api
// process on the embedded store, behind a faultProxy that refuses, loses
// answers and cuts streams when a test asks it to. They test the package
// as tsc compiles it from web/client/src, into a directory of this test's
// own (TINCAN_CLIENT names its index.js).
func TestClientPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an api process and node")
	}
	t.Cleanup(func() { goleak.VerifyNone(t) })
	node := nodeTools(t)
	tests, err := filepath.Glob(filepath.Join("client", "test", "*.test.mjs"))
	if err != nil || len(tests) == 0 {
		t.Fatalf("no tests in web/client/test (%v)", err)
	}
	built := filepath.Join(t.TempDir(), "dist")
	runNode(t, node, ".", nil, filepath.Join("node_modules", "typescript", "bin", "tsc"),
		"-p", filepath.Join("client", "tsconfig.json"), "--outDir", built)

	bin, err := fault.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	api := fault.StartAPI(t, bin, nil)
	proxy := startFaultProxy(t, api.Base)
	index, err := filepath.Abs(filepath.Join(built, "index.js"))
	if err != nil {
		t.Fatal(err)
	}
	runNode(t, node, ".", []string{"TINCAN_URL=" + proxy, "TINCAN_CLIENT=" + index},
		append([]string{"--test", "--test-reporter=spec"}, tests...)...)
}

// nodeTools fails the test at once, saying how to get it, when node or
// web/node_modules is missing; it returns node's path.
func nodeTools(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: apt-get install -y nodejs npm (Node 20 or later)")
	}
	if _, err := os.Stat(filepath.Join("node_modules", "typescript", "package.json")); err != nil {
		t.Fatal("web/node_modules is missing: npm ci --prefix web (from the repository's root)")
	}
	return node
}

// runNode runs node with args in dir, with env beside PATH and HOME, and
// fails the test with its output when it fails; it answers the output.
func runNode(t *testing.T, node, dir string, env []string, args ...string) string {
	t.Helper()
	return runTool(t, dir, env, node, args...)
}

// runTool runs name with args in dir and fails the test with its output
// when it fails; it answers the output.
func runTool(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "NO_UPDATE_NOTIFIER=1"}, env...)
	out, err := cmd.CombinedOutput()
	t.Logf("%s %s:\n%s", filepath.Base(name), strings.Join(args, " "), out)
	if err != nil {
		t.Fatalf("%s %s: %v (its output is above)", filepath.Base(name), strings.Join(args, " "), err)
	}
	return string(out)
}
