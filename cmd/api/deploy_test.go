package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// No Docker engine runs where the tests do, so docker-compose.yml and the
// Dockerfile are checked as files: what they promise (pinned images,
// health checks with the binary's own mode, descriptors for many streams,
// a stamped version) and that the health check they run is one this
// binary understands.

// compose is the part of docker-compose.yml these tests read.
type compose struct {
	Services map[string]struct {
		Image string `yaml:"image"`
		Build *struct {
			Context    string            `yaml:"context"`
			Dockerfile string            `yaml:"dockerfile"`
			Args       map[string]string `yaml:"args"`
		} `yaml:"build"`
		Environment map[string]string `yaml:"environment"`
		Healthcheck *struct {
			Test        []string `yaml:"test"`
			Interval    string   `yaml:"interval"`
			Timeout     string   `yaml:"timeout"`
			Retries     int      `yaml:"retries"`
			StartPeriod string   `yaml:"start_period"`
		} `yaml:"healthcheck"`
		Ulimits struct {
			Nofile struct {
				Soft int `yaml:"soft"`
				Hard int `yaml:"hard"`
			} `yaml:"nofile"`
		} `yaml:"ulimits"`
	} `yaml:"services"`
}

func readCompose(t *testing.T) compose {
	t.Helper()
	b, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return c
}

// dockerfile is the instructions of the Dockerfile, continuation lines
// joined, comments left out: the keyword upper-cased, then the rest.
func dockerfile(t *testing.T) [][2]string {
	t.Helper()
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var out [][2]string
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || (line == "" && cur.Len() == 0) {
			continue
		}
		if rest, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(rest + " ")
			continue
		}
		cur.WriteString(line)
		keyword, rest, _ := strings.Cut(cur.String(), " ")
		out = append(out, [2]string{strings.ToUpper(keyword), strings.TrimSpace(rest)})
		cur.Reset()
	}
	return out
}

// jsonArgs reads an exec-form argument list, ["a", "b"].
func jsonArgs(t *testing.T, what, s string) []string {
	t.Helper()
	var args []string
	if err := json.Unmarshal([]byte(s), &args); err != nil {
		t.Fatalf("%s %s: not an exec-form list: %v", what, s, err)
	}
	return args
}

// TestComposeFile: both images pinned to exact releases, the api's tag
// and stamped version the same release, health checks on both services
// (the api's through the binary's healthcheck mode, run here against a
// live service exactly as compose runs it), and room for
// MAX_CONNECTIONS' worth of descriptors.
func TestComposeFile(t *testing.T) {
	c := readCompose(t)
	redis, api := c.Services["redis"], c.Services["api"]

	if !regexp.MustCompile(`^redis:7\.0\.\d+$`).MatchString(redis.Image) {
		t.Errorf("redis image %q: want an exact 7.0 release (redis:7.0.N), the Redis the tests run", redis.Image)
	}
	if redis.Healthcheck == nil || len(redis.Healthcheck.Test) == 0 {
		t.Error("redis has no healthcheck")
	}

	m := regexp.MustCompile(`^[a-z0-9.-]+(?:/[a-z0-9._-]+)+:(\d+\.\d+\.\d+)$`).FindStringSubmatch(api.Image)
	if m == nil {
		t.Fatalf("api image %q: want a name with an exact release tag (…/tincan:1.2.3)", api.Image)
	}
	if api.Build == nil || api.Build.Context != "." || api.Build.Dockerfile != "Dockerfile" {
		t.Fatalf("api: want build from ./Dockerfile beside the image, got %+v", api.Build)
	}
	if v := api.Build.Args["VERSION"]; v != "v"+m[1] {
		t.Errorf("api: build arg VERSION %q, image tag %s: want v%s, the same release", v, m[1], m[1])
	}

	hc := api.Healthcheck
	if hc == nil || len(hc.Test) < 2 || hc.Test[0] != "CMD" {
		t.Fatalf("api healthcheck %+v: want test: [\"CMD\", <binary>, %q]", hc, healthcheckCommand)
	}
	if entry := entrypoint(t); hc.Test[1] != entry {
		t.Errorf("api healthcheck runs %s, the image's binary is %s", hc.Test[1], entry)
	}
	if hc.Interval == "" || hc.Timeout == "" || hc.Retries == 0 || hc.StartPeriod == "" {
		t.Errorf("api healthcheck %+v: want interval, timeout, retries and start_period", hc)
	}
	// The command compose runs, in the service's environment, against a
	// service listening where that environment says.
	base, _, _ := startRun(t, "http", nil, nil)
	settings := map[string]string{}
	for k, v := range api.Environment {
		settings[k] = v
	}
	settings["REDIS_URL"] = "" // the check reads no store
	settings["ADDR"] = strings.TrimPrefix(base, "http://")
	var out bytes.Buffer
	if err := run(context.Background(), append([]string{hc.Test[1]}, hc.Test[2:]...), env(settings), &out); err != nil {
		t.Errorf("the api healthcheck %v fails against a live service: %v", hc.Test, err)
	}

	// Each open connection (an event stream, a long poll) is a descriptor;
	// start-up caps MAX_CONNECTIONS to the limit less fdReserve.
	n := api.Ulimits.Nofile
	if want := DefaultMaxConnections + fdReserve; n.Soft < want || n.Hard < n.Soft {
		t.Errorf("api ulimits nofile %+v: want soft ≥ %d (MAX_CONNECTIONS %d + %d kept) and hard ≥ soft",
			n, want, DefaultMaxConnections, fdReserve)
	}
}

// entrypoint is the binary the Dockerfile's final image runs.
func entrypoint(t *testing.T) string {
	t.Helper()
	var entry []string
	for _, ins := range dockerfile(t) {
		if ins[0] == "ENTRYPOINT" {
			entry = jsonArgs(t, "ENTRYPOINT", ins[1])
		}
	}
	if len(entry) != 1 {
		t.Fatalf("Dockerfile ENTRYPOINT %v: want the binary alone", entry)
	}
	return entry[0]
}

// TestDockerfile: the build stamps the version given as a build argument,
// and the image declares a HEALTHCHECK that runs the binary's own mode,
// which this binary accepts.
func TestDockerfile(t *testing.T) {
	ins := dockerfile(t)
	var from []string
	var stamped, health bool
	for _, in := range ins {
		switch in[0] {
		case "FROM":
			from = append(from, strings.Fields(in[1])[0])
		case "RUN":
			if strings.Contains(in[1], "go build") {
				stamped = strings.Contains(in[1], "-X main.version=${VERSION}") && strings.Contains(in[1], "-X main.revision=${REVISION}")
			}
		case "HEALTHCHECK":
			opts, cmd, ok := strings.Cut(in[1], "CMD ")
			if !ok {
				t.Fatalf("HEALTHCHECK %s: no CMD", in[1])
			}
			for _, o := range []string{"--interval=", "--timeout=", "--start-period=", "--retries="} {
				if !strings.Contains(opts, o) {
					t.Errorf("HEALTHCHECK without %s…", o)
				}
			}
			args := jsonArgs(t, "HEALTHCHECK CMD", cmd)
			if len(args) < 2 || args[0] != entrypoint(t) || args[1] != healthcheckCommand {
				t.Errorf("HEALTHCHECK runs %v, want [%s %s …]", args, entrypoint(t), healthcheckCommand)
			}
			health = true
		}
	}
	if !stamped {
		t.Error("the go build of the Dockerfile does not stamp -X main.version=${VERSION} and -X main.revision=${REVISION}")
	}
	if !health {
		t.Error("the Dockerfile declares no HEALTHCHECK")
	}
	args := slices.IndexFunc(ins, func(in [2]string) bool { return in[0] == "ARG" && strings.HasPrefix(in[1], "VERSION") })
	if args < 0 || ins[args][1] != "VERSION=devel" {
		t.Error("the Dockerfile has no global ARG VERSION=devel")
	}
	// The Go image is the toolchain release the tests run; distroless
	// images have no release tags.
	if len(from) != 2 || !regexp.MustCompile(`^golang:\d+\.\d+\.\d+$`).MatchString(from[0]) {
		t.Errorf("FROM %v: want an exact golang:1.N.P build image", from)
	}
}
