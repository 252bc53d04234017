package store_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
)

// TestTicketSealing: a sealed ticket opens, with its secret, to the
// credentials it was sealed with, only under its first port's name; the
// record names and holds no secret in usable form, and an altered record
// does not open.
func TestTicketSealing(t *testing.T) {
	ports := []store.Credentials{{PortID: "p-one", Token: store.NewToken()}, {PortID: "p-two", Token: store.NewToken()}}
	tk := store.NewTicket(ports, time.Now(), time.Minute)
	sealed, err := store.SealTicket(tk, ports)
	if err != nil {
		t.Fatal(err)
	}
	got, err := store.OpenTicket("p-one", tk.Secret, sealed)
	if err != nil {
		t.Fatalf("OpenTicket: %v", err)
	}
	if len(got) != 2 || got[0] != ports[0] || got[1] != ports[1] {
		t.Errorf("opened %v, want %v", got, ports)
	}

	one, two := store.TicketIndex("p-one", tk.Secret), store.TicketIndex("p-two", tk.Secret)
	if one == two || one == store.TicketIndex("p-one", store.NewToken()) {
		t.Error("ticket index does not depend on both the port and the secret")
	}
	if _, err := store.OpenTicket("p-two", tk.Secret, sealed); err == nil {
		t.Error("the record opened under another port's name")
	}
	if _, err := store.OpenTicket("p-one", store.NewToken(), sealed); err == nil {
		t.Error("the record opened with another secret")
	}
	altered := bytes.Clone(sealed)
	altered[len(altered)-1] ^= 1
	if _, err := store.OpenTicket("p-one", tk.Secret, altered); err == nil {
		t.Error("an altered record opened")
	}
	if _, err := store.OpenTicket("p-one", tk.Secret, sealed[:5]); err == nil {
		t.Error("a truncated record opened")
	}
	for _, secret := range []string{tk.Secret, ports[0].Token, ports[1].Token} {
		if bytes.Contains(sealed, []byte(secret)) || bytes.Contains([]byte(one), []byte(secret)) {
			t.Error("the record or its name holds a secret in plain text")
		}
	}
}

// TestMessageTicketSealing: a sealed message ticket opens, with its secret,
// to its credentials only under the name of its port and message, and its
// name is neither a stream ticket's nor another message's.
func TestMessageTicketSealing(t *testing.T) {
	c := store.Credentials{PortID: "p-one", Token: store.NewToken()}
	id := store.EventID{Ms: 1700000000000, Seq: 3}
	tk := store.NewMessageTicket(c.PortID, time.Now(), time.Minute)
	if len(tk.Ports) != 1 || tk.Ports[0] != c.PortID {
		t.Fatalf("ticket ports %v, want [%s]", tk.Ports, c.PortID)
	}
	sealed, err := store.SealMessageTicket(tk, id, c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := store.OpenMessageTicket(c.PortID, id, tk.Secret, sealed)
	if err != nil || got != c {
		t.Fatalf("OpenMessageTicket: %v %v, want %v", got, err, c)
	}
	name := store.MessageTicketIndex(c.PortID, id, tk.Secret)
	for what, other := range map[string]string{
		"another message":      store.MessageTicketIndex(c.PortID, id.Next(), tk.Secret),
		"another port":         store.MessageTicketIndex("p-two", id, tk.Secret),
		"another secret":       store.MessageTicketIndex(c.PortID, id, store.NewToken()),
		"the stream ticket's":  store.TicketIndex(c.PortID, tk.Secret),
		"a port ending in NUL": store.MessageTicketIndex(c.PortID+"\x00"+id.String(), store.EventID{}, tk.Secret),
	} {
		if other == name {
			t.Errorf("the record's name is %s", what)
		}
	}
	if _, err := store.OpenMessageTicket(c.PortID, id.Next(), tk.Secret, sealed); err == nil {
		t.Error("the record opened under another message's name")
	}
	if _, err := store.OpenMessageTicket("p-two", id, tk.Secret, sealed); err == nil {
		t.Error("the record opened under another port's name")
	}
	if _, err := store.OpenTicket(c.PortID, tk.Secret, sealed); err == nil {
		t.Error("the record opened as a stream ticket's")
	}
	if bytes.Contains(sealed, []byte(c.Token)) || bytes.Contains(sealed, []byte(tk.Secret)) {
		t.Error("the record holds a secret in plain text")
	}
}
