package redis_test

import (
	"errors"
	"testing"

	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/redis"
)

// TestStrangerOfTheChannel: an id that shares a channel's tag, and so
// names the channel's keys, without being either of its ports (the
// channel's own id, or another id with its tag) is no port, whichever
// port's token comes with it: the scripts find a caller's side from the
// ids the channel's hash holds, and must not take a stranger for one.
func TestStrangerOfTheChannel(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newStore(t, shared, redis.Options{})
	ch, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.Post(ctx, creds(ch.Port1), store.Outgoing{Data: []byte(`1`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Post(ctx, creds(ch.Port2), store.Outgoing{Data: []byte(`2`)}); err != nil {
		t.Fatal(err)
	}
	other := ch.Port2.ID[:store.TagLength] + "000000"
	if other == ch.Port1.ID || other == ch.Port2.ID {
		other = ch.Port2.ID[:store.TagLength] + "000001"
	}
	for _, stranger := range []string{ch.ID, other} {
		for _, token := range []string{ch.Port1.Token, ch.Port2.Token} {
			c := store.Credentials{PortID: stranger, Token: token}
			if _, err := s.Post(ctx, c, store.Outgoing{Data: []byte(`3`)}); !errors.Is(err, store.ErrUnauthorized) {
				t.Errorf("Post as %s: %v, want ErrUnauthorized", stranger, err)
			}
			if err := s.Ack(ctx, c, id); !errors.Is(err, store.ErrUnauthorized) {
				t.Errorf("Ack as %s: %v, want ErrUnauthorized", stranger, err)
			}
			if _, err := s.Read(ctx, c, store.EventID{}, store.ReadLimit{Messages: 10}); !errors.Is(err, store.ErrUnauthorized) {
				t.Errorf("Read as %s: %v, want ErrUnauthorized", stranger, err)
			}
		}
	}
	// Nothing was queued or deleted on the stranger's behalf.
	for _, p := range []store.PortCredentials{ch.Port1, ch.Port2} {
		info, err := s.Describe(ctx, creds(p))
		if err != nil {
			t.Fatal(err)
		}
		if info.Queued != 1 || info.Posted != 1 || info.Acknowledged != 0 {
			t.Errorf("port %s: queued %d posted %d acknowledged %d, want 1 1 0", p.ID, info.Queued, info.Posted, info.Acknowledged)
		}
	}
}
