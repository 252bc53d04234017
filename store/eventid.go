package store

import (
	"fmt"
	"strconv"
	"strings"
)

// EventID is the position of a message in its receiving port's queue. Ids
// increase strictly per port, whichever instance assigned them. On the wire
// an EventID is an opaque string; it happens to be "<ms>-<seq>", the shape
// of a Redis stream entry id, which the memory store produces too.
//
// The zero EventID sorts before every real one and means "from the start".
type EventID struct {
	Ms  uint64
	Seq uint64
}

// ParseEventID parses the wire form of an EventID. The empty string is the
// zero EventID. Anything but two unsigned decimal numbers joined by "-" is
// an ErrInvalid.
func ParseEventID(s string) (EventID, error) {
	if s == "" {
		return EventID{}, nil
	}
	ms, seq, ok := strings.Cut(s, "-")
	if !ok || !digits(ms) || !digits(seq) {
		return EventID{}, fmt.Errorf("event id %q: %w", s, ErrInvalid)
	}
	m, err1 := strconv.ParseUint(ms, 10, 64)
	q, err2 := strconv.ParseUint(seq, 10, 64)
	if err1 != nil || err2 != nil {
		return EventID{}, fmt.Errorf("event id %q: %w", s, ErrInvalid)
	}
	return EventID{Ms: m, Seq: q}, nil
}

// digits reports whether s is a non-empty run of ASCII digits, short enough
// to be a uint64 and with no leading zero unless it is "0", so that every
// id has exactly one spelling.
func digits(s string) bool {
	if s == "" || len(s) > 20 || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String returns the wire form: "<ms>-<seq>", or "" for the zero EventID.
func (id EventID) String() string {
	if id.IsZero() {
		return ""
	}
	return strconv.FormatUint(id.Ms, 10) + "-" + strconv.FormatUint(id.Seq, 10)
}

// AppendText appends the wire form of id to b (nothing for the zero
// EventID), for answers written without an allocation per id.
func (id EventID) AppendText(b []byte) ([]byte, error) {
	if id.IsZero() {
		return b, nil
	}
	b = strconv.AppendUint(b, id.Ms, 10)
	b = append(b, '-')
	return strconv.AppendUint(b, id.Seq, 10), nil
}

// IsZero reports whether id is the zero EventID.
func (id EventID) IsZero() bool { return id == EventID{} }

// Compare returns -1, 0 or +1 as id sorts before, with or after o.
func (id EventID) Compare(o EventID) int {
	switch {
	case id.Ms < o.Ms:
		return -1
	case id.Ms > o.Ms:
		return 1
	case id.Seq < o.Seq:
		return -1
	case id.Seq > o.Seq:
		return 1
	}
	return 0
}

// Next returns the smallest EventID after id.
func (id EventID) Next() EventID {
	if id.Seq == ^uint64(0) {
		return EventID{Ms: id.Ms + 1}
	}
	return EventID{Ms: id.Ms, Seq: id.Seq + 1}
}

// MarshalText encodes id in its wire form.
func (id EventID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText decodes the wire form.
func (id *EventID) UnmarshalText(b []byte) error {
	v, err := ParseEventID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}
