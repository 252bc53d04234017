package handlers

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
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
		// Bodies have a few members; the array keeps them off the heap.
		var room [4]member
		members, ok := objectMembers(raw, room[:0])
		if !ok {
			return nil
		}
		fields := jsonFields(t)
		for i, m := range members {
			// The members before m are known fields, each named once (else
			// the loop would have stopped), so this looks at no more of
			// them than t has fields.
			for _, before := range members[:i] {
				if bytes.Equal(before.name, m.name) {
					return badRequest("The body gives field %q more than once.", m.name)
				}
			}
			ft, ok := fields[string(m.name)]
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

// member is one member of a JSON object: its name, unescaped, and its
// value as it stands in the text.
type member struct {
	name  []byte
	value []byte
}

// fieldsByType caches jsonFields: a type's fields never change, and every
// request body of a route decodes into the same type.
var fieldsByType sync.Map // reflect.Type -> map[string]reflect.Type

// jsonFields maps the JSON member names of struct type t to field types.
// The map is shared: callers must not change it.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if f, ok := fieldsByType.Load(t); ok {
		return f.(map[string]reflect.Type)
	}
	f, _ := fieldsByType.LoadOrStore(t, structFields(t))
	return f.(map[string]reflect.Type)
}

// structFields maps the JSON member names of struct type t to field types.
func structFields(t reflect.Type) map[string]reflect.Type {
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
