package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// decoderMembers is what objectMembers replaces: encoding/json's Decoder
// walked token by token, as exactNames did before.
func decoderMembers(raw []byte) ([]member, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var members []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		var value json.RawMessage
		if dec.Decode(&value) != nil {
			return nil, false
		}
		members = append(members, member{name: []byte(tok.(string)), value: value})
	}
	return members, true
}

// membersAgree fails the test unless objectMembers answers raw as the
// decoder walk does.
func membersAgree(t *testing.T, raw []byte) {
	t.Helper()
	want, wantOK := decoderMembers(raw)
	got, gotOK := objectMembers(raw, nil)
	if gotOK != wantOK {
		t.Fatalf("%q: ok %v, the decoder says %v", raw, gotOK, wantOK)
	}
	if !gotOK {
		return
	}
	if g, w := fmt.Sprintf("%q", got), fmt.Sprintf("%q", want); g != w {
		t.Fatalf("%q: members %s, the decoder finds %s", raw, g, w)
	}
}

// memberCases are bodies at the edges of the members walk: where it stops,
// where it fails, escaped names, values of every kind and their ends.
var memberCases = []string{
	``, ` `, `{`, `}`, `[`, `{}`, ` { } `, `{]`, `[]`, `"x"`, `1`, `null`,
	`{"data":1}`, `{"data":1,"data":2}`, `{"data":1,"data":2`, `{"data":1,"data":2]`,
	`{"data":1 , "transfer" : [ ] }`, "{\t\"data\"\n:\r1}",
	`{"data":1,}`, `{,"data":1}`, `{"data"1}`, `{"data":}`, `{"data":`, `{"data"`, `{"data`,
	`{"data":1"x"}`, `{"data":1x}`, `{"data":truex}`, `{"data":true false}`, `{"data":1-2}`,
	`{"data":1e}`, `{"data":1.5e+3}`, `{"data":-0}`, `{"data":01}`, `{"data":+1}`, `{"data":.5}`,
	`{"data":"a""b"}`, `{"data":"a\"b"}`, `{"data":"a\\"}`, `{"data":"\u00e9"}`, `{"data":"\x"}`,
	`{"data":{"a":[1,{"b":"}"}]}}`, `{"data":{"a":[1,{"b":"}"}]}`, `{"data":[}]}`, `{"data":{]}`,
	`{"data":[1,2,]}`, `{"data":nul}`, `{"data":null}garbage`, `{"data":1} {"data":2}`,
	`{"d\u0061ta":1}`, `{"d\u0061ta":1,"data":2}`, `{"\ud800":1}`, `{"\q":1}`, `{"a` + "\x01" + `":1}`,
	`{"data":"` + "\x01" + `"}`, `{"data":1:}`, `{"data":1{}}`, `{"data":1[]}`, `{"Data":1}`,
	`{"transfer":[{"port":"p","token":"t"},{"Port":"p"}]}`, `{"data":1,"transfer":null}`,
	`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6}`, `{"data":{"x":"y"}}trailing`,
	"{\"\x85\":0", // not UTF-8: the decoder's name is U+FFFD
}

func TestObjectMembersAgreesWithDecoder(t *testing.T) {
	for _, c := range append(memberCases, fuzzSeeds...) {
		membersAgree(t, []byte(c))
	}
}

// FuzzObjectMembers holds objectMembers to the decoder walk on any body.
func FuzzObjectMembers(f *testing.F) {
	for _, c := range append(memberCases, fuzzSeeds...) {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { membersAgree(t, raw) })
}
