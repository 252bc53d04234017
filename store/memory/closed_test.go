package memory_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/memory"
)

// TestClosed: once closed, the store answers ErrUnavailable rather than
// panic, and closing again is harmless.
func TestClosed(t *testing.T) {
	ctx := t.Context()
	s := memory.New(store.Limits{})
	ch, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	p1 := store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	_, err1 := s.CreateChannel(ctx, "")
	_, err2 := s.Describe(ctx, p1)
	_, err3 := s.Post(ctx, p1, store.Outgoing{Data: []byte(`1`)})
	_, err4 := s.Read(ctx, p1, store.EventID{}, store.ReadLimit{Messages: 1})
	err5 := s.Ack(ctx, p1, store.EventID{})
	err6 := s.ClosePort(ctx, p1)
	_, err7 := s.Transfer(ctx, p1)
	err8 := s.Ready(ctx)
	_, err9 := s.Subscribe(ctx, p1.PortID)
	_, err10 := s.Message(ctx, p1, store.EventID{Ms: 1})
	_, err11 := s.IssueMessageTicket(ctx, p1, store.EventID{Ms: 1}, time.Minute)
	_, err12 := s.RedeemMessageTicket(ctx, p1.PortID, store.EventID{Ms: 1}, "x")
	for i, err := range []error{err1, err2, err3, err4, err5, err6, err7, err8, err9, err10, err11, err12} {
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("call %d after Close: %v, want ErrUnavailable", i+1, err)
		}
	}
}
