package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/marketplace"
)

// decodeJSON reads exactly one JSON object from the body into v, refusing
// other media types, unknown fields, wrong types and trailing data, each
// with the field at fault.
func decodeJSON(c *gin.Context, v any) error {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return fmt.Errorf("%w: send Content-Type: application/json", errUnsupportedType)
	}
	// The body is bounded by limitBody; holding it lets an unknown field be
	// named by its whole path, which the decoder does not tell.
	data, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return decodeError(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if name, ok := unknownField(err); ok {
			return invalid(unknownFieldPath(data, reflect.TypeOf(v), name), "is not a known field")
		}
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalid("body", "must hold a single JSON object and nothing after it")
	}
	return nil
}

func decodeError(err error) error {
	var (
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		maxErr    *http.MaxBytesError
	)
	switch {
	case errors.As(err, &maxErr):
		return fmt.Errorf("%w: at most %d bytes", errTooLarge, maxErr.Limit)
	case errors.Is(err, io.EOF):
		return invalid("body", "is required: a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("body", "is truncated JSON")
	case errors.As(err, &syntaxErr):
		return invalid("body", "is malformed JSON at byte %d", syntaxErr.Offset)
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return invalid("body", "must be a JSON object")
		}
		return invalid(field, "must be %s, not %s", jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
	}
	return invalid("body", "cannot be read: %v", err)
}

// unknownField returns the key that DisallowUnknownFields refused.
func unknownField(err error) (string, bool) {
	rest, ok := strings.CutPrefix(err.Error(), "json: unknown field ")
	if !ok {
		return "", false
	}
	name, err := strconv.Unquote(rest)
	return name, err == nil
}

// unknownFieldPath returns the wire path ("qualiopi.grade") of the key
// name in data that has no field in t, or name itself if none is found.
func unknownFieldPath(data []byte, t reflect.Type, name string) string {
	var doc any
	if json.Unmarshal(data, &doc) != nil {
		return name
	}
	if path, ok := findUnknown(doc, t, "", name); ok {
		return path
	}
	return name
}

func findUnknown(v any, t reflect.Type, path, name string) (string, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch v := v.(type) {
	case map[string]any:
		if t.Kind() != reflect.Struct {
			return "", false
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			f, ok := jsonField(t, k)
			if !ok {
				if k == name {
					return p, true
				}
				continue
			}
			if found, ok := findUnknown(v[k], f.Type, p, name); ok {
				return found, true
			}
		}
	case []any:
		if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
			return "", false
		}
		for i, e := range v {
			if found, ok := findUnknown(e, t.Elem(), path+"["+strconv.Itoa(i)+"]", name); ok {
				return found, true
			}
		}
	}
	return "", false
}

// jsonField finds the struct field encoding/json decodes key into: the
// exact name first, then a case-insensitive match, as the decoder does.
func jsonField(t reflect.Type, key string) (reflect.StructField, bool) {
	var folded reflect.StructField
	found := false
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || tag == "-" {
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		if tag == key {
			return f, true
		}
		if !found && strings.EqualFold(tag, key) {
			folded, found = f, true
		}
	}
	return folded, found
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "int", "int64", "int32":
		return "an integer"
	case "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "of another type"
}

// invalid returns a validation error for one field.
func invalid(field, format string, args ...any) error {
	var v marketplace.ValidationError
	v.Add(field, format, args...)
	return &v
}

// parseDate reads a calendar day "YYYY-MM-DD" of a named field; "" is the zero time.
func parseDate(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, invalid(field, "%q is not a date YYYY-MM-DD", s)
	}
	return t, nil
}

// formatDate writes a calendar day, "" for the zero time.
func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// pathID reads the path parameter name, an identifier: 1 to 100 unreserved
// URL characters (letters, digits, '-', '.', '_', '~'), which covers the
// UUIDs the service makes and the codes of imported records. Anything else
// is refused before it reaches the store.
func pathID(c *gin.Context, name string) (string, error) {
	id := c.Param(name)
	if id == "" || len(id) > 100 || strings.ContainsFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r))
	}) {
		return "", invalid(name, "is not an identifier (1 to 100 letters, digits, '-', '.', '_' or '~')")
	}
	return id, nil
}

// queryInt reads an optional integer query parameter within bounds.
func queryInt(c *gin.Context, name string, def, min, max int) (int, error) {
	raw, ok := c.GetQuery(name)
	if !ok || raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < min || n > max {
		return 0, invalid(name, "must be an integer from %d to %d", min, max)
	}
	return n, nil
}
