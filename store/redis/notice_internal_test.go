package redis

import (
	"testing"

	"github.com/tincan-dev/tincan/store"
)

// TestParseNotice: the plain form is a look at its port, the pushed form a
// message, and a pushed form that does not parse a look at its port.
func TestParseNotice(t *testing.T) {
	const port = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
	look := store.Notice{Port: port}
	for _, tc := range []struct {
		name, payload string
		want          store.Notice
	}{
		{"plain", port, look},
		{"too few fields", "m\x00" + port + "\x001-0\x002-0", look},
		{"bad previous id", "m\x00" + port + "\x00x\x002-0\x005\x00src\x00{}", look},
		{"bad id", "m\x00" + port + "\x00\x00-\x005\x00src\x00{}", look},
		{"zero id", "m\x00" + port + "\x00\x00\x005\x00src\x00{}", look},
		{"origin form, too few fields", "m\x00" + port + "\x00o\x001-0\x002-0\x005\x00src\x00{}", look},
		{"origin form, bad id", "m\x00" + port + "\x00o\x001-0\x00x\x005\x00src\x00null\x00{}", look},
		{"port only", "m\x00" + port, look},
		{"binary form, no content type", "m\x00" + port + "\x00b\x00", look},
		{"binary form, bad content type", "m\x00" + port + "\x00b\x00png\x00\x001-0\x005\x00src\x00\xff", look},
		{"binary form, too few fields", "m\x00" + port + "\x00b\x00image/png\x00\x001-0\x005", look},
		{"binary form, bad id", "m\x00" + port + "\x00b\x00image/png\x00o\x00\x00x\x005\x00src\x00null\x00\xff", look},
	} {
		if got := parseNotice(tc.payload); got.Port != tc.want.Port || got.Pushed {
			t.Errorf("%s: %+v, want a look at %s", tc.name, got, port)
		}
	}
	got := parseNotice("m\x00" + port + "\x001-2\x001-3\x001700000000000\x00src\x00\"a\\u0000b\"")
	want := store.EventID{Ms: 1, Seq: 3}
	if !got.Pushed || got.Port != port || got.Prev != (store.EventID{Ms: 1, Seq: 2}) || got.Message.ID != want ||
		got.Message.SentAt.UnixMilli() != 1700000000000 || got.Message.Source != "src" || string(got.Message.Data) != `"a\u0000b"` {
		t.Errorf("pushed: %+v", got)
	}
	if got.Message.Origin != "" {
		t.Errorf("pushed without an origin has origin %q", got.Message.Origin)
	}

	got = parseNotice("m\x00" + port + "\x00o\x00\x001-0\x001700000000000\x00src\x00https://example.com:8443\x00{\"k\":[1]}")
	if !got.Pushed || got.Port != port || !got.Prev.IsZero() || got.Message.ID != (store.EventID{Ms: 1}) ||
		got.Message.Source != "src" || got.Message.Origin != "https://example.com:8443" || string(got.Message.Data) != `{"k":[1]}` {
		t.Errorf("pushed with an origin: %+v", got)
	}
	// A binary message's bytes come last and as they are: NULs, invalid
	// UTF-8 and what looks like the notice's own fields included.
	raw := "\x00\xff\x00m\x00o\x00b\x00{\"a\":1}\r\n"
	got = parseNotice("m\x00" + port + "\x00b\x00image/png\x00o\x001-0\x001-1\x001700000000000\x00src\x00https://a.example\x00" + raw)
	if !got.Pushed || got.Prev != (store.EventID{Ms: 1}) || got.Message.ID != (store.EventID{Ms: 1, Seq: 1}) ||
		got.Message.ContentType != "image/png" || string(got.Message.Bytes) != raw || got.Message.Data != nil ||
		got.Message.Origin != "https://a.example" || got.Message.Source != "src" {
		t.Errorf("pushed binary with an origin: %+v", got)
	}
	got = parseNotice("m\x00" + port + "\x00b\x00application/octet-stream\x00\x001-0\x001700000000000\x00src\x00")
	if !got.Pushed || !got.Message.Binary() || got.Message.Bytes == nil || len(got.Message.Bytes) != 0 || got.Message.Origin != "" {
		t.Errorf("pushed empty binary: %+v", got)
	}
	// A reader from before binary messages finds the mark "b" where the
	// previous id should be, and reads the port instead.
	if _, err := store.ParseEventID("b"); err == nil {
		t.Error(`"b" parses as an event id: readers older than binary messages would misread the binary form`)
	}
	// A reader from before origins finds the mark where the previous id
	// should be: it must not parse as one, so that such a reader reads the
	// port instead of delivering the message without its origin.
	if _, err := store.ParseEventID("o"); err == nil {
		t.Error(`"o" parses as an event id: readers older than origins would misread the origin form`)
	}
}
