//go:build unix

package main

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// threeLines is a Markdown shell block that starts with tincan create.
var threeLines = regexp.MustCompile("(?s)```sh\n(eval \"\\$\\(tincan create -sh\\)\".*?)```")

// TestDocsThreeLines runs the three lines of the README and of
// docs/CLI.md, as they stand, in bash, with the tincan binary on PATH:
// the listen prints the posted hello, as a JSON line through the pipe.
func TestDocsThreeLines(t *testing.T) {
	t.Parallel()
	base := startAPI(t, nil).Base
	for _, doc := range []string{"../../README.md", "../../docs/CLI.md"} {
		md, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		m := threeLines.FindSubmatch(md)
		if m == nil {
			t.Errorf("%s has no sh block that starts with tincan create -sh", doc)
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(m[1])), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[2], `tincan listen "$P2"`) {
			t.Errorf("%s: the block is not create, post, listen:\n%s", doc, m[1])
		}

		cmd := exec.Command("bash", "-euc", string(m[1]))
		cmd.Env = append(os.Environ(), "PATH="+cliDir+":"+os.Getenv("PATH"), "TINCAN_URL="+base)
		// Its own process group, so that the listen goes with the shell.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		var printed []string
		for sc.Scan() {
			printed = append(printed, sc.Text())
			if strings.HasPrefix(sc.Text(), `{"event":"message"`) {
				break
			}
		}
		// The listen waits for more: end it and its shell.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		if len(printed) != 2 {
			t.Fatalf("%s: the block printed %q; stderr:\n%s", doc, printed, stderr.String())
		}
		if !strings.HasPrefix(printed[0], `{"id":"`) {
			t.Errorf("%s: post printed %s, want its id", doc, printed[0])
		}
		if ev, msg := parseEvent(t, printed[1]); ev.Event != "message" || string(msg.Data) != `"hello"` {
			t.Errorf("%s: listen printed %s, want the message hello", doc, printed[1])
		}
	}
}
