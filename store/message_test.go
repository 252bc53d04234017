package store_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/tincan-dev/tincan/store"
)

func TestValidContentType(t *testing.T) {
	for s, want := range map[string]bool{
		"application/octet-stream":          true,
		"image/png":                         true,
		"text/plain; charset=utf-8":         true,
		`application/x-thing; name="a b"`:   true,
		"a/" + strings.Repeat("b", 253):     true,
		"a/" + strings.Repeat("b", 254):     false, // 256 bytes
		"":                                  false,
		"png":                               false, // no subtype
		"image/":                            false,
		"image/png\x00":                     false,
		"image/png\r\nX-Evil: 1":            false,
		"image/png; x=\"é\"":                false,
		"image/png\t":                       false,
		"image/png; x=\x7f":                 false,
		"image png":                         false,
		"image/png; charset*=utf-8''%C3%A9": true, // RFC 2231, ASCII as written
	} {
		if got := store.ValidContentType(s); got != want {
			t.Errorf("ValidContentType(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestCheckOutgoing(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  store.Outgoing
		ok   bool
	}{
		{"json", store.Outgoing{Data: json.RawMessage(`{"a":1}`)}, true},
		{"binary", store.Outgoing{ContentType: "image/png", Bytes: []byte{0, 0xff}}, true},
		{"empty binary", store.Outgoing{ContentType: "image/png"}, true},
		{"binary with origin", store.Outgoing{ContentType: "image/png", Bytes: []byte("x"), Origin: "https://a.example"}, true},
		{"no data", store.Outgoing{}, false},
		{"not JSON", store.Outgoing{Data: json.RawMessage(`{`)}, false},
		{"bytes without a content type", store.Outgoing{Data: json.RawMessage(`1`), Bytes: []byte("x")}, false},
		{"data beside bytes", store.Outgoing{ContentType: "image/png", Data: json.RawMessage(`1`), Bytes: []byte("x")}, false},
		{"bad content type", store.Outgoing{ContentType: "image/png\n", Bytes: []byte("x")}, false},
		{"bad origin", store.Outgoing{ContentType: "image/png", Origin: "https://a.example/"}, false},
	} {
		err := store.CheckOutgoing(tc.msg)
		if tc.ok && err != nil || !tc.ok && !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestSize: a binary message counts its bytes, a JSON one its data.
func TestSize(t *testing.T) {
	if n := (store.Outgoing{ContentType: "a/b", Bytes: make([]byte, 7)}).Size(); n != 7 {
		t.Errorf("binary size %d, want 7", n)
	}
	if n := (store.Message{Data: json.RawMessage(`"abc"`)}).Size(); n != 5 {
		t.Errorf("JSON size %d, want 5", n)
	}
	m := store.Message{ContentType: "a/b", Bytes: []byte{}}
	if !m.Binary() || m.Size() != 0 || (store.Message{Data: json.RawMessage(`1`)}).Binary() {
		t.Error("Binary says the wrong kind")
	}
}
