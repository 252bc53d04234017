package store

import (
	"errors"
	"testing"
)

// FuzzParseEventID checks that every id has one spelling: whatever parses
// prints back as itself (the zero id, also spelled "0-0", prints as ""),
// and whatever does not parse is an ErrInvalid.
func FuzzParseEventID(f *testing.F) {
	for _, s := range []string{"", "0-0", "1-0", "1700000000000-12", "18446744073709551615-18446744073709551615",
		"18446744073709551616-0", "01-1", "1-01", "-1", "1-", "1", "1-2-3", "+1-2", " 1-2", "1-2\n", "١-٢"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseEventID(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) || !id.IsZero() {
				t.Fatalf("%q: %v, %v", s, id, err)
			}
			return
		}
		if id.IsZero() {
			if s != "" && s != "0-0" {
				t.Fatalf("%q parsed as the zero id", s)
			}
			return
		}
		if id.String() != s {
			t.Fatalf("%q prints back as %q", s, id.String())
		}
		var back EventID
		if err := back.UnmarshalText([]byte(s)); err != nil || back != id {
			t.Fatalf("%q: UnmarshalText %v, %v", s, back, err)
		}
	})
}
