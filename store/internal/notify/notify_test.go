package notify_test

import (
	"slices"
	"testing"

	"github.com/tincan-dev/tincan/store"
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

// TestSeveralPorts: one subscription for several ports is one doorbell
// registered under each (a port listed twice counts once): the hook hears
// of each port once, Notify at any of them rings it, and closing it
// unregisters it from all.
func TestSeveralPorts(t *testing.T) {
	var got []string
	h := notify.NewWatched(func(port string, watched bool) {
		if watched {
			got = append(got, "+"+port)
		} else {
			got = append(got, "-"+port)
		}
	})
	other := h.Subscribe("b")
	sub := h.Subscribe("c", "a", "b", "a")
	if n := h.Len(); n != 4 {
		t.Errorf("Len %d, want 4 (b once, then a, b, c)", n)
	}
	for _, port := range []string{"a", "b", "c"} {
		h.Notify(port)
		select {
		case <-sub.C:
		default:
			t.Errorf("Notify(%q) did not ring the subscription", port)
		}
	}
	h.Notify("d")
	select {
	case <-sub.C:
		t.Error("Notify of a port not subscribed rang")
	default:
	}
	sub.Close()
	sub.Close()
	other.Close()
	want := []string{"+b", "+a", "+c", "-a", "-c", "-b"}
	if !slices.Equal(got, want) {
		t.Errorf("hook calls %v, want %v", got, want)
	}
	if n := h.Len(); n != 0 {
		t.Errorf("Len %d after closing everything, want 0", n)
	}
}

// TestManyOnOnePort: closing one of several subscriptions on a port,
// whichever its place, leaves the others ringing and itself silent.
func TestManyOnOnePort(t *testing.T) {
	h := notify.New()
	subs := []*store.Subscription{h.Subscribe("p"), h.Subscribe("p"), h.Subscribe("p"), h.Subscribe("p")}
	subs[1].Close()
	subs[3].Close()
	if n := h.Len(); n != 2 {
		t.Fatalf("Len %d, want 2", n)
	}
	h.Notify("p")
	for i, sub := range subs {
		rang := false
		select {
		case <-sub.C:
			rang = true
		default:
		}
		if want := i == 0 || i == 2; rang != want {
			t.Errorf("subscription %d rang %v, want %v", i, rang, want)
		}
	}
	subs[0].Close()
	subs[2].Close()
	if n := h.Len(); n != 0 {
		t.Errorf("Len %d after closing everything, want 0", n)
	}
}

// TestPushInOrder: every subscription of a port gets the port's notices
// in the order they were given, and no other port's.
func TestPushInOrder(t *testing.T) {
	h := notify.New()
	a := h.Subscribe("p")
	b := h.Subscribe("p", "q")
	defer a.Close()
	defer b.Close()
	h.Notify("p")
	h.Push(store.Notice{Port: "q", Pushed: true, Message: store.Message{ID: store.EventID{Ms: 1}}})
	h.Push(store.Notice{Port: "p", Pushed: true, Message: store.Message{ID: store.EventID{Ms: 2}}})
	describe := func(ns []store.Notice) []string {
		var out []string
		for _, n := range ns {
			out = append(out, n.Port+":"+n.Message.ID.String())
		}
		return out
	}
	if got, want := describe(a.Take(nil)), []string{"p:", "p:2-0"}; !slices.Equal(got, want) {
		t.Errorf("a got %v, want %v", got, want)
	}
	if got, want := describe(b.Take(nil)), []string{"p:", "q:1-0", "p:2-0"}; !slices.Equal(got, want) {
		t.Errorf("b got %v, want %v", got, want)
	}
}
