package client_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestGeneratedClientIsCurrent runs the go:generate line of generate.go,
// with the output sent to a temporary directory, and fails unless the
// committed client.gen.go is exactly what it makes: a change to the spec,
// the overlay, the settings or the pinned generator needs a regeneration.
func TestGeneratedClientIsCurrent(t *testing.T) {
	t.Parallel() // it waits for the generator, a process of its own
	args := generateArgs(t)
	goBin, err := exec.LookPath(args[0])
	if err != nil {
		t.Fatalf("the go command is needed to run the generator: %v", err)
	}
	// Same settings, same working directory (the overlay's path is
	// relative to it), only the output file moved.
	dir := t.TempDir()
	out := filepath.Join(dir, "client.gen.go")
	config := redirectOutput(t, configArg(t, args), out, dir)
	args = replaceConfig(args, config)

	cmd := exec.Command(goBin, args[1:]...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("client.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("client.gen.go is stale (%s): run go generate ./api/client", firstDifference(got, want))
	}
}

// generateArgs returns the words of generate.go's go:generate line.
func generateArgs(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile("generate.go")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "//go:generate "); ok {
			if found != nil {
				t.Fatal("generate.go has more than one go:generate line")
			}
			found = strings.Fields(rest)
		}
	}
	if len(found) < 3 || found[0] != "go" || found[1] != "tool" || found[2] != "oapi-codegen" {
		t.Fatalf("generate.go: want one line '//go:generate go tool oapi-codegen ...', got %q", found)
	}
	return found
}

// configArg returns the value of the -config flag in args.
func configArg(t *testing.T, args []string) string {
	t.Helper()
	for i, a := range args {
		if a == "-config" && i+1 < len(args) {
			return args[i+1]
		}
	}
	t.Fatalf("the go:generate line has no -config: %q", args)
	return ""
}

func replaceConfig(args []string, config string) []string {
	out := append([]string(nil), args...)
	for i, a := range out {
		if a == "-config" {
			out[i+1] = config
		}
	}
	return out
}

// redirectOutput writes a copy of the settings in path into dir with
// output set to out, and returns the copy's path. The config's own
// output wins over the generator's -o flag, hence the copy.
func redirectOutput(t *testing.T, path, out, dir string) string {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(src, &cfg); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if cfg["output"] != "client.gen.go" {
		t.Fatalf("%s: output is %v, want client.gen.go", path, cfg["output"])
	}
	cfg["output"] = out
	b, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(dir, "oapi-codegen.yaml")
	if err := os.WriteFile(copyPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return copyPath
}

// firstDifference says where two texts first differ, by line.
func firstDifference(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) && i < len(w); i++ {
		if g[i] != w[i] {
			return fmt.Sprintf("line %d: committed %q, generated %q", i+1, g[i], w[i])
		}
	}
	return fmt.Sprintf("committed %d lines, generated %d", len(g), len(w))
}
