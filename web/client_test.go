package web_test

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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
	t.Run("node", func(t *testing.T) {
		runNode(t, node, ".", []string{"TINCAN_URL=" + proxy, "TINCAN_CLIENT=" + index},
			append([]string{"--test", "--test-reporter=spec"}, tests...)...)
	})
	t.Run("pack", func(t *testing.T) { testPack(t, node, api.Base) })
}

// testPack proves that npm pack makes a package others can use: it packs a
// copy of web/client (npm pack builds dist/ first, with tsc), checks what
// the tarball holds, installs it into a scratch project, and there imports
// it from plain Node, bundles an import of it with esbuild and runs the
// bundle (both talk to the tincan at base), and type-checks a TypeScript
// import of it under the bundler and the Node module resolutions.
func testPack(t *testing.T, node, base string) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Fatal("npm is not installed: apt-get install -y npm")
	}
	web, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pkg := filepath.Join(dir, "pkg")
	if err := os.CopyFS(pkg, os.DirFS("client")); err != nil {
		t.Fatal(err)
	}
	// Only the sources: what a build of an earlier run left is not packed.
	for _, stale := range []string{"dist", "node_modules"} {
		if err := os.RemoveAll(filepath.Join(pkg, stale)); err != nil {
			t.Fatal(err)
		}
	}
	// prepack's tsc is web/node_modules' (npm ci --prefix web installs it).
	path := []string{"PATH=" + filepath.Join(web, "node_modules", ".bin") + string(os.PathListSeparator) + os.Getenv("PATH")}
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	runTool(t, pkg, path, npm, "pack", "--pack-destination", out, "--no-audit", "--no-fund")
	tarball := filepath.Join(out, "tincan-dev-client-0.1.0.tgz")
	files := tarFiles(t, tarball)
	for _, want := range []string{"package/package.json", "package/README.md", "package/dist/index.js",
		"package/dist/index.d.ts", "package/dist/subscribe.js", "package/dist/schema.d.ts"} {
		if !slices.Contains(files, want) {
			t.Errorf("the tarball lacks %s; it holds %v", want, files)
		}
	}
	for _, f := range files {
		if strings.HasPrefix(f, "package/src/") || strings.HasPrefix(f, "package/test/") || strings.HasSuffix(f, ".tgz") {
			t.Errorf("the tarball holds %s, which is not for users", f)
		}
	}

	app := filepath.Join(dir, "app")
	writeFiles(t, app, map[string]string{
		"package.json": `{"name": "app", "private": true, "type": "module"}` + "\n",
		// Plain Node: the package by its name, against a real tincan.
		"main.js": `import { Tincan, TincanError } from "@tincan-dev/client";
const tincan = new Tincan({ baseUrl: process.argv[2] });
const { port1, port2 } = await tincan.createChannel();
await tincan.post(port1, new Uint8Array([1, 2, 3]), { contentType: "application/x-three" });
await tincan.post(port1, "closing");
await tincan.close(port1);
const got = [];
for await (const ev of tincan.subscribe(port2)) {
  if (ev.type === "message") got.push(ev.message.data instanceof ArrayBuffer ? ev.message.content_type + ":" + new Uint8Array(ev.message.data).join(",") : ev.message.data);
  else got.push(ev.type);
}
const refused = await tincan.post(port1, "late").catch((e) => e instanceof TincanError && e.code);
console.log(JSON.stringify({ got, refused }));
`,
		"check.ts": `import { Tincan, TincanError, type Message, type StreamEvent } from "@tincan-dev/client";
const tincan: Tincan = new Tincan({ baseUrl: "http://localhost:8080" });
export async function first(port: { id: string; token: string }): Promise<Message | undefined> {
  for await (const ev of tincan.subscribe(port)) {
    const e: StreamEvent = ev;
    if (e.type === "message") return e.message;
  }
  return undefined;
}
export const isRefusal = (e: unknown): e is TincanError => e instanceof TincanError;
`,
		"tsconfig.bundler.json": `{"compilerOptions": {"strict": true, "noEmit": true, "target": "ES2022", "module": "ES2022",
  "moduleResolution": "bundler", "lib": ["ES2022", "DOM"], "skipLibCheck": false}, "files": ["check.ts"]}` + "\n",
		"tsconfig.node.json": `{"compilerOptions": {"strict": true, "noEmit": true, "target": "ES2022", "module": "NodeNext",
  "moduleResolution": "NodeNext", "lib": ["ES2022", "DOM"], "skipLibCheck": false}, "files": ["check.ts"]}` + "\n",
	})
	// The tarball has no dependencies: nothing is fetched.
	runTool(t, app, nil, npm, "install", "--offline", "--no-audit", "--no-fund", tarball)
	want := `{"got":["open","application/x-three:1,2,3","closing","close"],"refused":"port_closed"}`
	if got := strings.TrimSpace(runNode(t, node, app, nil, "main.js", base)); got != want {
		t.Errorf("node main.js printed %s, want %s", got, want)
	}
	// esbuild's JavaScript API (web/node_modules' pinned esbuild), as a
	// bundler's user calls it: whether its bin is a native binary or a
	// shim depends on its install script having run.
	esbuild, err := json.Marshal(filepath.Join(web, "node_modules", "esbuild", "lib", "main.js"))
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, app, map[string]string{"bundle.mjs": `import esbuild from ` + string(esbuild) + `;
await esbuild.build({ entryPoints: ["main.js"], bundle: true, format: "esm", platform: "browser", outfile: "bundle.js", logLevel: "warning" });
`})
	runNode(t, node, app, nil, "bundle.mjs")
	if got := strings.TrimSpace(runNode(t, node, app, nil, "bundle.js", base)); got != want {
		t.Errorf("node bundle.js (esbuild's bundle) printed %s, want %s", got, want)
	}
	tsc := filepath.Join(web, "node_modules", "typescript", "bin", "tsc")
	runNode(t, node, app, nil, tsc, "-p", "tsconfig.bundler.json")
	runNode(t, node, app, nil, tsc, "-p", "tsconfig.node.json")
}

// tarFiles lists the files in a gzipped tarball.
func tarFiles(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("npm pack made no %s: %v", filepath.Base(path), err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
}

// writeFiles writes files (name -> content) into dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
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
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "NO_UPDATE_NOTIFIER=1", "npm_config_update_notifier=false"}, env...)
	out, err := cmd.CombinedOutput()
	t.Logf("%s %s:\n%s", filepath.Base(name), strings.Join(args, " "), out)
	if err != nil {
		t.Fatalf("%s %s: %v (its output is above)", filepath.Base(name), strings.Join(args, " "), err)
	}
	return string(out)
}
