package logscan

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

func token() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// TestCatchesPlantedSecrets: a recorded secret is caught wherever it sits
// in a line, even glued to other characters; unrecorded token-, key- and
// JWT-shaped strings are caught by their shape; port ids, hashes and
// ordinary log lines are not; the report names the place and never the
// whole secret.
func TestCatchesPlantedSecrets(t *testing.T) {
	recorded := token()
	Secret("port token", recorded)
	unrecorded := token()
	glued := token()
	Secret("scoped token", glued)
	SecretsInJSON([]byte(`{"port1":{"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","token":"` + strings.Repeat("Q", 40) + `"},"x":[{"ticket":"` + strings.Repeat("T", 43) + `"}]}`))
	sum := sha256.Sum256([]byte(recorded))

	l := New("TestCatchesPlantedSecrets")
	lines := []struct {
		text string
		kind string // "" when the line is clean
	}{
		{`level=INFO msg=request method=GET path=/ports/01ARZ3NDEKTSV4RRFFQ69G5FAV status=200`, ""},
		{`level=DEBUG msg="request refused" hash=` + hex.EncodeToString(sum[:]), ""},
		{`level=DEBUG msg="request refused" query="access_token=` + recorded + `&wait=1"`, "recorded port token"},
		{`level=WARN msg=x err="bad token ` + glued + `x"`, "recorded scoped token"},
		{`level=WARN token=` + unrecorded, "token-shaped string"},
		{`{"msg":"key","key":"tk_live_4f9c2e1a7b3d8e6f"}`, "API-key-shaped string"},
		{`level=DEBUG jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl`, "JWT-shaped string"},
		{`level=DEBUG body=` + strings.Repeat("Q", 40), "recorded token"},
		{`level=DEBUG t=` + strings.Repeat("T", 43), "recorded ticket"},
		{`level=INFO msg=stopped`, ""},
	}
	for _, line := range lines {
		fmt.Fprintln(l, line.text)
	}
	got := map[int]Finding{}
	for _, f := range l.Scan() {
		got[f.Line] = f
	}
	for i, line := range lines {
		f, found := got[i+1]
		switch {
		case line.kind == "" && found:
			t.Errorf("line %d: clean line reported as %v", i+1, f)
		case line.kind != "" && !found:
			t.Errorf("line %d: %s not caught", i+1, line.kind)
		case found && (f.Kind != line.kind || f.Source != "TestCatchesPlantedSecrets" || len(f.Hint) != 4):
			t.Errorf("line %d: %+v, want kind %s", i+1, f, line.kind)
		}
	}
	err := Check()
	if err == nil {
		t.Fatal("Check passed with secrets in a log")
	}
	for _, s := range []string{recorded, unrecorded, glued} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("the report quotes a secret in full: %v", err)
		}
	}
	if !strings.Contains(err.Error(), "TestCatchesPlantedSecrets, log line 3") {
		t.Errorf("the report does not name the place: %v", err)
	}
	l.Reset()
	if err := Check(); err != nil {
		t.Errorf("after Reset: %v", err)
	}
}
