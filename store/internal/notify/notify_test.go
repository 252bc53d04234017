package notify_test

import (
	"slices"
	"testing"

	"github.com/tincan-dev/tincan/store/internal/notify"
)

// TestWatched: the hook hears of a port's first subscription and of its
// last one closing, once each, and closing a subscription twice says
// nothing more.
func TestWatched(t *testing.T) {
	var got []string
	h := notify.NewWatched(func(port string, watched bool) {
		if watched {
			got = append(got, "+"+port)
		} else {
			got = append(got, "-"+port)
		}
	})
	a1 := h.Subscribe("a")
	a2 := h.Subscribe("a")
	b := h.Subscribe("b")
	a1.Close()
	a1.Close()
	a2.Close()
	b.Close()
	b.Close()
	want := []string{"+a", "+b", "-a", "-b"}
	if !slices.Equal(got, want) {
		t.Errorf("hook calls %v, want %v", got, want)
	}
}
