package handlers

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
)

var rawMessageType = reflect.TypeFor[json.RawMessage]()

// exactNames refuses two things encoding/json lets through on its way into
// a value of type t: a member whose name matches a field only when case is
// ignored ("Data" for "data"), and a member given twice, of which
// encoding/json silently keeps the last. Either would let one body mean
// two things to two readers. It checks the members of objects that decode
// into structs, at every depth, and leaves json.RawMessage values (message
// data is the sender's own business) alone. Malformed JSON and wrong types
// pass here: the decoder that runs next reports those.
func exactNames(raw []byte, t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == rawMessageType:
		return nil
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return nil
		}
		for _, item := range items {
			if err := exactNames(item, t.Elem()); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Struct && !reflect.PointerTo(t).Implements(textUnmarshaler):
		var members []struct {
			name  string
			value json.RawMessage
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return nil
		}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return nil
			}
			var value json.RawMessage
			if dec.Decode(&value) != nil {
				return nil
			}
			members = append(members, struct {
				name  string
				value json.RawMessage
			}{tok.(string), value})
		}
		fields := jsonFields(t)
		seen := make(map[string]bool, len(members))
		for _, m := range members {
			if seen[m.name] {
				return badRequest("The body gives field %q more than once.", m.name)
			}
			seen[m.name] = true
			ft, ok := fields[m.name]
			if !ok {
				return badRequest("The body has an unknown field %q.", m.name)
			}
			if err := exactNames(m.value, ft); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonFields maps the JSON member names of struct type t to field types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := make(map[string]reflect.Type, t.NumField())
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		fields[name] = f.Type
	}
	return fields
}
