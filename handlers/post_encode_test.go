package handlers

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tincan-dev/tincan/store"
)

// TestWritePostedMatchesEncode: the hand-written answer to a post is byte
// for byte what encode writes for postResponse.
func TestWritePostedMatchesEncode(t *testing.T) {
	for _, id := range []store.EventID{{}, {Ms: 0, Seq: 1}, {Ms: 1732190000000, Seq: 0}, {Ms: 1732190000123, Seq: 42}, {Ms: ^uint64(0), Seq: ^uint64(0)}} {
		want := httptest.NewRecorder()
		if err := encode(want, http.StatusCreated, postResponse{ID: id}); err != nil {
			t.Fatal(err)
		}
		got := httptest.NewRecorder()
		writePosted(got, id)
		if got.Code != want.Code || got.Body.String() != want.Body.String() ||
			got.Header().Get("Content-Type") != want.Header().Get("Content-Type") {
			t.Errorf("id %v: wrote %d %q %q, encode writes %d %q %q", id,
				got.Code, got.Header().Get("Content-Type"), got.Body, want.Code, want.Header().Get("Content-Type"), want.Body)
		}
	}
}

// TestCompactMatchesJSONCompact: compact leaves compact text as it is and
// compacts the rest exactly as json.Compact does.
func TestCompactMatchesJSONCompact(t *testing.T) {
	for _, c := range []string{
		`1`, `"a b"`, `{"a":"x y","b":[1,2]}`, `{ "a" : 1 }`, "[1,\n2]", "{\"a\":\"\\\" \"}",
		`"\\"`, `{"a":"\\\\"  }`, "\t\"x\"\r\n", `{"text":"the quick brown fox"}`, `[]`, `{}`,
	} {
		var want bytes.Buffer
		if err := json.Compact(&want, []byte(c)); err != nil {
			t.Fatal(err)
		}
		got, err := compact([]byte(c))
		if err != nil || !bytes.Equal(got, want.Bytes()) {
			t.Errorf("compact(%q) = %q, %v; json.Compact gives %q", c, got, err, want.Bytes())
		}
		if isCompact([]byte(c)) != (want.String() == c) {
			t.Errorf("isCompact(%q) = %v", c, isCompact([]byte(c)))
		}
	}
}
