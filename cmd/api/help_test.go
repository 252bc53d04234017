package main

import (
	"net"
	"regexp"
	"strings"
	"testing"
)

// helpRow is one setting as -help prints it.
type helpRow struct{ def, meaning string }

// helpRows parses the settings table of the help text.
func helpRows(t *testing.T, out string) map[string]helpRow {
	t.Helper()
	rows := map[string]helpRow{}
	row := regexp.MustCompile(`^([A-Z][A-Z0-9_]+) +(\S+) +(\S.*)$`)
	for line := range strings.SplitSeq(out, "\n") {
		if m := row.FindStringSubmatch(line); m != nil && m[1] != "SETTING" {
			rows[m[1]] = helpRow{def: m[2], meaning: m[3]}
		}
	}
	return rows
}

// api -help lists every setting the service reads, each with its default
// and a meaning (docs/SETTINGS.md is made from the same list: see
// TestSettingsDoc).
func TestHelp(t *testing.T) {
	var out strings.Builder
	if err := run(t.Context(), []string{"api", "-help"}, env(nil), &out); err != nil {
		t.Fatalf("api -help: %v", err)
	}
	rows := helpRows(t, out.String())

	var read []string
	if _, err := loadConfig(func(key string) string {
		read = append(read, key)
		return ""
	}); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(read) {
		t.Errorf("-help lists %d settings; the service reads %d", len(rows), len(read))
	}
	for _, name := range read {
		r, ok := rows[name]
		if !ok {
			t.Errorf("-help does not list %s:\n%s", name, out.String())
			continue
		}
		if len(r.meaning) < 10 {
			t.Errorf("%s: meaning %q", name, r.meaning)
		}
	}
	if rows["ADDR"].def != DefaultAddr || rows["LOG_LEVEL"].def != "info" || rows["CHANNEL_IDLE_TTL"].def != "168h" || rows["REDIS_URL"].def != "(empty)" {
		t.Errorf("defaults: ADDR %q, LOG_LEVEL %q, CHANNEL_IDLE_TTL %q, REDIS_URL %q", rows["ADDR"].def, rows["LOG_LEVEL"].def, rows["CHANNEL_IDLE_TTL"].def, rows["REDIS_URL"].def)
	}

	var short strings.Builder
	if err := run(t.Context(), []string{"api", "-h"}, env(nil), &short); err != nil || short.String() != out.String() {
		t.Errorf("api -h differs from api -help (err %v)", err)
	}
	if err := run(t.Context(), []string{"api", "-port=1"}, env(nil), &strings.Builder{}); err == nil || !strings.Contains(err.Error(), "-help") {
		t.Errorf("an unknown argument's error does not point to -help: %v", err)
	}
}

func TestBaseURL(t *testing.T) {
	for _, tc := range []struct {
		addr string
		tls  bool
		want string
	}{
		{"[::]:8080", false, "http://localhost:8080"},
		{"0.0.0.0:80", false, "http://localhost:80"},
		{"127.0.0.1:9000", true, "https://127.0.0.1:9000"},
		{"[::1]:8443", true, "https://[::1]:8443"},
	} {
		addr, err := net.ResolveTCPAddr("tcp", tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := baseURL(addr, tc.tls); got != tc.want {
			t.Errorf("baseURL(%s, %v) = %q, want %q", tc.addr, tc.tls, got, tc.want)
		}
	}
}
