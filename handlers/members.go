package handlers

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// objectMembers reads the members of the JSON object that raw starts with
// (after any whitespace), appending them to members, and reports false
// where encoding/json's Decoder, walked token by token (Token for the
// '{' and each name, Decode for each value, while More), would have
// failed. Like that walk it stops, and succeeds, at the first '}' or ']'
// or the end of raw after a value, and does not look past it: the decoder
// that runs afterwards judges the whole body. It replaces that walk
// because it allocates nothing but unescaped names, where the walk boxed
// every token and copied every value; TestObjectMembersAgreesWithDecoder
// holds it to the same answers.
func objectMembers(raw []byte, members []member) ([]member, bool) {
	i := skipSpace(raw, 0)
	if i == len(raw) || raw[i] != '{' {
		return members, false
	}
	i = skipSpace(raw, i+1)
	for n := 0; i < len(raw) && raw[i] != '}' && raw[i] != ']'; n++ {
		if n > 0 {
			if raw[i] != ',' {
				return members, false
			}
			i = skipSpace(raw, i+1)
		}
		end, ok := stringEnd(raw, i)
		if !ok {
			return members, false
		}
		name, ok := unquote(raw[i:end])
		if !ok {
			return members, false
		}
		i = skipSpace(raw, end)
		if i == len(raw) || raw[i] != ':' {
			return members, false
		}
		i = skipSpace(raw, i+1)
		end, ok = valueEnd(raw, i)
		if !ok || !json.Valid(raw[i:end]) {
			return members, false
		}
		members = append(members, member{name: name, value: raw[i:end]})
		i = skipSpace(raw, end)
	}
	return members, true
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the JSON string starting at i,
// finding its closing quote only; json.Valid or unquote checks the rest.
func stringEnd(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, false
	}
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return 0, false
}

// valueEnd returns the index just past the JSON value starting at i: a
// string, an object or array up to its matching bracket, or a number or
// literal up to the first byte that cannot belong to one. The value is
// not checked; a malformed one ends somewhere json.Valid then refuses.
func valueEnd(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				end, ok := stringEnd(b, i)
				if !ok {
					return 0, false
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1, true
				}
			}
		}
		return 0, false
	}
	start := i
	for i < len(b) && (b[i] >= '0' && b[i] <= '9' || b[i] >= 'a' && b[i] <= 'z' || b[i] >= 'A' && b[i] <= 'Z' ||
		b[i] == '-' || b[i] == '+' || b[i] == '.') {
		i++
	}
	return i, i > start
}

// unquote returns the text of the JSON string s, quotes included in s. A
// name without escapes is s's own bytes; only an escaped one, or one with
// bytes that are not UTF-8 (which the decoder replaces), is decoded, and
// copied.
func unquote(s []byte) ([]byte, bool) {
	if !json.Valid(s) {
		return nil, false
	}
	if bytes.IndexByte(s, '\\') < 0 && utf8.Valid(s) {
		return s[1 : len(s)-1], true
	}
	var text string
	if json.Unmarshal(s, &text) != nil {
		return nil, false
	}
	return []byte(text), true
}
