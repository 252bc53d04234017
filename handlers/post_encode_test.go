package handlers

import (
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
