package redis

import (
	"testing"

	"github.com/tincan-dev/tincan/store"
)

// undecodableEntries are stream entries this build cannot decode, each
// with the reason the store gives for it.
var undecodableEntries = []struct {
	fields []string
	reason string
}{
	{[]string{"s", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "t", "1700000000000"}, "no data"},
	{[]string{"d", "{not json", "s", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "t", "1700000000000"}, "data is not JSON"},
	{[]string{"d", `"x"`, "s", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "t", "1700000000000", "p", "[{"}, "transferred ports do not parse"},
	{[]string{"d", `"x"`, "s", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "t", "1700000000000", "p", `[{"id":7}]`}, "transferred ports do not parse"},
	{[]string{"d", `"x"`, "s", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "t", "soon"}, "sent time is not a time"},
	{[]string{"d", `"x"`, "s", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "t", "1700000000000", "o", "https://x/y"}, "origin is not an origin"},
	{[]string{"d2", "cbor:a16178", "v", "2"}, "no data"},
	// Binary entries (schema version 4) whose fields do not go together.
	{[]string{"b", "\x00\xff", "s", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "t", "1700000000000"}, "bytes without a content type"},
	{[]string{"c", "image/png", "s", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "t", "1700000000000"}, "content type without bytes"},
	{[]string{"d", `"x"`, "b", "x", "c", "image/png", "s", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "t", "1700000000000"}, "both data and bytes"},
	{[]string{"d", `"x"`, "c", "image/png", "s", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "t", "1700000000000"}, "both data and bytes"},
	{[]string{"d", `"x"`, "b", "x", "s", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "t", "1700000000000"}, "both data and bytes"},
	{[]string{"b", "x", "c", "", "s", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "t", "1700000000000"}, "content type is not a content type"},
	{[]string{"b", "x", "c", "png", "s", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "t", "1700000000000"}, "content type is not a content type"},
	{[]string{"b", "x", "c", "image/png\r\nX: y", "s", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "t", "1700000000000"}, "content type is not a content type"},
	{[]string{"b", "x", "c", "image/png", "t", "1700000000000"}, "no source"},
	{[]string{"b", "x", "c", "image/png", "s", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "t", "1700000000000", "p", "[{"}, "transferred ports do not parse"},
}

// TestReadUndecodable: undecodable entries written straight into a queue
// come back in their places, each with its id and reason; the messages
// around them read as usual; an acknowledgement through one of them
// deletes it like any message.
func TestReadUndecodable(t *testing.T) {
	t.Parallel()
	s, _ := newInternalStore(t)
	ctx := t.Context()
	ch, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	from := store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}
	at := store.Credentials{PortID: ch.Port2.ID, Token: ch.Port2.Token}
	type want struct {
		id     store.EventID
		data   string
		reason string
	}
	var wants []want
	postGood := func(data string) {
		id, err := s.Post(ctx, from, store.Outgoing{Data: []byte(data), Origin: "https://a.example"})
		if err != nil {
			t.Fatal(err)
		}
		wants = append(wants, want{id, data, ""})
	}
	postGood(`"first"`)
	for _, e := range undecodableEntries {
		id, err := AppendRawEntry(ctx, s, at.PortID, e.fields...)
		if err != nil {
			t.Fatal(err)
		}
		wants = append(wants, want{id, "", e.reason})
		postGood(`"after ` + e.reason + `"`)
	}

	b, err := s.Read(ctx, at, store.EventID{}, store.ReadLimit{Messages: 100})
	if err != nil {
		t.Fatalf("Read with undecodable entries: %v", err)
	}
	if len(b.Messages) != len(wants) {
		t.Fatalf("read %d messages, want %d", len(b.Messages), len(wants))
	}
	for i, m := range b.Messages {
		w := wants[i]
		if m.ID != w.id || m.Undecodable != w.reason || string(m.Data) != w.data {
			t.Errorf("message %d: id %q undecodable %q data %s; want %q %q %s", i, m.ID, m.Undecodable, m.Data, w.id, w.reason, w.data)
		}
		if w.reason == "" && (m.Origin != "https://a.example" || m.Source != from.PortID) {
			t.Errorf("message %d: origin %q source %q", i, m.Origin, m.Source)
		}
		if w.reason != "" && (m.Data != nil || m.Ports != nil || m.Origin != "" || m.ContentType != "" || m.Bytes != nil) {
			t.Errorf("undecodable message %d carries data %s ports %v origin %q content type %q bytes %q", i, m.Data, m.Ports, m.Origin, m.ContentType, m.Bytes)
		}
		if one, err := s.Message(ctx, at, m.ID); err != nil || one.Undecodable != w.reason {
			t.Errorf("Message %d alone: undecodable %q, %v; want %q", i, one.Undecodable, err, w.reason)
		}
	}

	// A read starting after an undecodable entry, and one of a single entry.
	if b, err := s.Read(ctx, at, wants[1].id, store.ReadLimit{Messages: 1}); err != nil || len(b.Messages) != 1 || b.Messages[0].ID != wants[2].id {
		t.Errorf("read after the first undecodable entry: %+v %v", b.Messages, err)
	}

	// Acknowledge through the second undecodable entry.
	through := wants[3]
	if through.reason == "" {
		t.Fatal("test layout: wants[3] should be undecodable")
	}
	if err := s.Ack(ctx, at, through.id); err != nil {
		t.Fatalf("Ack through an undecodable entry: %v", err)
	}
	info, err := s.Describe(ctx, at)
	if err != nil {
		t.Fatal(err)
	}
	if info.Acked != through.id || info.Queued != len(wants)-4 || info.Posted-info.Acknowledged != int64(info.Queued) || info.LastID != wants[len(wants)-1].id {
		t.Errorf("after the ack: %+v", info)
	}
	b, err = s.Read(ctx, at, store.EventID{}, store.ReadLimit{Messages: 100})
	if err != nil || len(b.Messages) != len(wants)-4 || b.Messages[0].ID != wants[4].id {
		t.Errorf("read after the ack: %d messages, err %v", len(b.Messages), err)
	}

	// Posting goes on after raw entries, with increasing ids.
	id, err := s.Post(ctx, from, store.Outgoing{Data: []byte(`"last"`)})
	if err != nil || id.Compare(wants[len(wants)-1].id) <= 0 {
		t.Errorf("post after raw entries: %q %v", id, err)
	}
}
