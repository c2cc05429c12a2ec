// Package strictjson closes a gap of encoding/json for files desrun reads: it matches an
// object key to a struct field case-insensitively ("Apps" fills "apps"), so two spellings of
// one file decode to the same value while tools that read it byte-wise disagree. Keys checks
// that every key of every object names a field exactly.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// Keys checks that data, a JSON value that decodes into v (a pointer), spells every object key
// that names a field of v's type exactly as the field's JSON name. Keys that match no field at
// all, and values of types with their own UnmarshalJSON, are left to the decoder. Malformed
// JSON is not its business either: it returns nil and lets the decoder say what is wrong.
func Keys(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	err := walk(dec, reflect.TypeOf(v), "")
	var ke *keyError
	if errors.As(err, &ke) {
		return ke
	}
	return nil
}

type keyError struct{ path, got, want string }

func (e *keyError) Error() string {
	return fmt.Sprintf("field %q%s: JSON names are case-sensitive: want %q", e.got, e.where(), e.want)
}

func (e *keyError) where() string {
	if e.path == "" {
		return ""
	}
	return " in " + e.path
}

var unmarshaler = reflect.TypeFor[json.Unmarshaler]()

// walk reads one value of type t from dec.
func walk(dec *json.Decoder, t reflect.Type, path string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		if t.Implements(unmarshaler) {
			return skip(dec)
		}
		t = t.Elem()
	}
	if t == nil || reflect.PointerTo(t).Implements(unmarshaler) {
		return skip(dec)
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, isDelim := tok.(json.Delim)
	if !isDelim {
		return nil // a scalar or null
	}
	switch {
	case d == '{' && t.Kind() == reflect.Struct:
		fields := fieldsOf(t)
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := kt.(string)
			ft, ok := fields.exact[key]
			if !ok {
				if want, folded := fields.folded[strings.ToLower(key)]; folded {
					return &keyError{path: path, got: key, want: want}
				}
			}
			if err := walk(dec, ft, join(path, key)); err != nil {
				return err
			}
		}
	case d == '{' && t.Kind() == reflect.Map:
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := kt.(string)
			if err := walk(dec, t.Elem(), join(path, key)); err != nil {
				return err
			}
		}
	case d == '[' && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		for i := 0; dec.More(); i++ {
			if err := walk(dec, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	default:
		return skipRest(dec)
	}
	_, err = dec.Token() // the closing delimiter
	return err
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// skip reads one value, whatever it is.
func skip(dec *json.Decoder) error {
	var raw json.RawMessage
	return dec.Decode(&raw)
}

// skipRest reads the rest of an object or array whose opening delimiter was read.
func skipRest(dec *json.Decoder) error {
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

type fieldSet struct {
	exact  map[string]reflect.Type // JSON name -> field type
	folded map[string]string       // lower-case JSON name -> JSON name
}

var cache sync.Map // reflect.Type -> fieldSet

// fieldsOf lists the JSON fields of struct type t as encoding/json sees them: tags, embedded
// structs promoted, "-" and unexported fields left out.
func fieldsOf(t reflect.Type) fieldSet {
	if fs, ok := cache.Load(t); ok {
		return fs.(fieldSet)
	}
	fs := fieldSet{exact: map[string]reflect.Type{}, folded: map[string]string{}}
	var add func(t reflect.Type)
	add = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			ft := f.Type
			if f.Anonymous && name == "" {
				et := ft
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if et.Kind() == reflect.Struct {
					add(et)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if _, dup := fs.exact[name]; !dup {
				fs.exact[name] = ft
				fs.folded[strings.ToLower(name)] = name
			}
		}
	}
	add(t)
	cache.Store(t, fs)
	return fs
}
