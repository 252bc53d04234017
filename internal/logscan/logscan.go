// Package logscan lets a test binary check that nothing its servers logged
// is a secret. Tests tee every log they capture into a Log (see New),
// record the secrets they were handed (Secret, SecretsInJSON), and TestMain
// calls Check after m.Run: it fails the run on any log line holding a
// recorded secret or anything shaped like a token or a test API key.
package logscan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// secretChars are the characters a secret is made of: base64url (tokens,
// tickets), dots (JWTs) and the underscores of API keys. tokenChars are
// base64url's alone.
var secretChars, tokenChars = alphanumericAnd("_.-"), alphanumericAnd("_-")

// alphanumericAnd returns the table of ASCII letters and digits and the
// characters of extra.
func alphanumericAnd(extra string) *[256]bool {
	var t [256]bool
	for c := range t {
		t[c] = 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte(extra, byte(c)) >= 0
	}
	return &t
}

// runs calls fn with each maximal run of line's characters in set, in
// order, until fn returns false. A loop rather than a regular expression:
// the scan reads every byte the tests logged, in binaries built with the
// race detector, where the regexp engine's bookkeeping cost seconds.
func runs(line string, set *[256]bool, fn func(run string) bool) {
	for i := 0; i < len(line); {
		if !set[line[i]] {
			i++
			continue
		}
		j := i + 1
		for j < len(line) && set[line[j]] {
			j++
		}
		if !fn(line[i:j]) {
			return
		}
		i = j
	}
}

// shapes are what a secret looks like, for those no test recorded. A
// token or ticket is 32 random bytes in unpadded base64url: 43 characters
// standing alone (see scanLine); port ids (26 characters) and SHA-256
// hashes in hex (64) are not. The others are found by an expression, on
// the lines that hold the literal it starts with.
var shapes = []struct {
	name    string
	literal string
	re      *regexp.Regexp
}{
	// The tests' API keys look like tk_live_<hex> or tk_test_<hex>.
	{"API-key-shaped string", "tk_", regexp.MustCompile(`(tk_(?:live|test)_[0-9A-Za-z]{8,})`)},
	// A JWT: three base64url parts, the first a JSON object.
	{"JWT-shaped string", "eyJ", regexp.MustCompile(`(eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*)`)},
}

// tokenLength is the length of a token or ticket in base64url.
const tokenLength = 43

// registry is everything one test binary logged and every secret it saw.
type registry struct {
	mu      sync.Mutex
	logs    []*Log
	secrets map[int]map[string]string // by length: secret -> kind
}

var all = registry{secrets: map[int]map[string]string{}}

// Log is one captured log output. It is an io.Writer, safe for concurrent
// use; write to it everything the log's writer gets.
type Log struct {
	source string
	mu     sync.Mutex
	buf    bytes.Buffer
}

// New returns a Log named source (a test's name, a process's address), to
// be scanned by Check.
func New(source string) *Log {
	l := &Log{source: source}
	all.mu.Lock()
	all.logs = append(all.logs, l)
	all.mu.Unlock()
	return l
}

// Write keeps p for Check.
func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// Secret records a secret a test was handed, of a kind such as "port
// token" or "API key", so that Check looks for it. Empty strings and
// strings too short to be a secret (under 16 bytes) are ignored.
func Secret(kind, s string) {
	if len(s) < 16 {
		return
	}
	all.mu.Lock()
	defer all.mu.Unlock()
	m := all.secrets[len(s)]
	if m == nil {
		m = map[string]string{}
		all.secrets[len(s)] = m
	}
	m[s] = kind
}

// secretFields are the JSON object members whose string values are secrets.
var secretFields = map[string]string{"token": "token", "ticket": "ticket"}

// SecretsInJSON records every secret in a JSON document (an answer's
// body or an event's data): the string value of every member named
// "token" or "ticket", at any depth. Anything that is not JSON is ignored.
func SecretsInJSON(b []byte) {
	if !bytes.ContainsAny(b, "{") {
		return
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return
	}
	walk(v)
}

func walk(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if kind, ok := secretFields[k]; ok {
				if s, ok := e.(string); ok {
					Secret(kind, s)
				}
			}
			walk(e)
		}
	case []any:
		for _, e := range v {
			walk(e)
		}
	}
}

// Finding is one log line that holds a secret.
type Finding struct {
	Source string
	Line   int
	// Kind says what was found: a recorded secret's kind, or a shape.
	Kind string
	// Hint is the secret's first four characters, never more.
	Hint string
}

func (f Finding) String() string {
	return fmt.Sprintf("%s, log line %d: %s (%s…)", f.Source, f.Line, f.Kind, f.Hint)
}

// Check scans every Log for secrets and returns an error listing where
// they were found, or nil. It never quotes a secret in full.
func Check() error {
	findings := Scan()
	if len(findings) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "logscan: %d log line(s) hold a secret:", len(findings))
	for i, f := range findings {
		if i == 50 {
			fmt.Fprintf(&b, "\n\t… and %d more", len(findings)-i)
			break
		}
		b.WriteString("\n\t" + f.String())
	}
	return fmt.Errorf("%s", b.String())
}

// Scan returns every finding in every Log, one a line at most.
func Scan() []Finding {
	all.mu.Lock()
	logs := append([]*Log(nil), all.logs...)
	all.mu.Unlock()
	var out []Finding
	for _, l := range logs {
		out = append(out, l.Scan()...)
	}
	return out
}

// Scan returns the findings in this Log alone.
func (l *Log) Scan() []Finding {
	l.mu.Lock()
	text := l.buf.String()
	l.mu.Unlock()
	var out []Finding
	for i, line := range strings.Split(text, "\n") {
		if kind, secret, ok := scanLine(line); ok {
			out = append(out, Finding{Source: l.source, Line: i + 1, Kind: kind, Hint: hint(secret)})
		}
	}
	return out
}

// String returns what the Log holds.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Reset forgets what the Log holds, for a test that planted a secret in
// it on purpose.
func (l *Log) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Reset()
}

// scanLine returns the first secret in line: a recorded one, wherever it
// sits in a run of secret characters, else one of the shapes.
func scanLine(line string) (kind, secret string, found bool) {
	all.mu.Lock()
	runs(line, secretChars, func(run string) bool {
		for n, m := range all.secrets {
			for i := 0; i+n <= len(run); i++ {
				if k, ok := m[run[i:i+n]]; ok {
					kind, secret, found = "recorded "+k, run[i:i+n], true
					return false
				}
			}
		}
		return true
	})
	all.mu.Unlock()
	if found {
		return kind, secret, true
	}
	runs(line, tokenChars, func(run string) bool {
		if len(run) == tokenLength {
			kind, secret, found = "token-shaped string", run, true
			return false
		}
		return true
	})
	if found {
		return kind, secret, true
	}
	for _, s := range shapes {
		if !strings.Contains(line, s.literal) {
			continue
		}
		if m := s.re.FindStringSubmatch(line); m != nil {
			return s.name, m[1], true
		}
	}
	return "", "", false
}

func hint(s string) string {
	if len(s) > 4 {
		s = s[:4]
	}
	return s
}
