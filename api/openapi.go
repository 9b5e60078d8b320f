package api

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"

	"github.com/gin-gonic/gin"
)

// The OpenAPI document is written in parts: openapi/core.json holds the
// document's head (info, servers, security, shared components) and the
// foundation's paths; each other area of the API adds a part with its own
// tags, paths and components. A part may not redefine what another defines.
//
//go:embed openapi/*.json
var openapiParts embed.FS

// OpenAPI is the OpenAPI 3 document of the API, kept honest by tests that
// check every route is documented and every example validates.
var OpenAPI = mustMergeOpenAPI(openapiParts)

func mustMergeOpenAPI(parts fs.FS) []byte {
	b, err := mergeOpenAPI(parts)
	if err != nil {
		panic(err)
	}
	return b
}

// mergeOpenAPI joins core.json with every other part, in name order.
func mergeOpenAPI(parts fs.FS) ([]byte, error) {
	names, err := fs.Glob(parts, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var doc map[string]any
	if err := readPart(parts, "openapi/core.json", &doc); err != nil {
		return nil, err
	}
	for _, name := range names {
		if name == "openapi/core.json" {
			continue
		}
		var part map[string]any
		if err := readPart(parts, name, &part); err != nil {
			return nil, err
		}
		for key, v := range part {
			switch key {
			case "tags":
				tags, _ := doc["tags"].([]any)
				more, ok := v.([]any)
				if !ok {
					return nil, fmt.Errorf("%s: tags is not a list", name)
				}
				doc["tags"] = append(tags, more...)
			case "paths":
				if err := mergeObject(doc, "paths", v, name+": paths"); err != nil {
					return nil, err
				}
			case "components":
				comps, ok := v.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("%s: components is not an object", name)
				}
				into, _ := doc["components"].(map[string]any)
				if into == nil {
					into = map[string]any{}
					doc["components"] = into
				}
				for section, defs := range comps {
					if err := mergeObject(into, section, defs, name+": components."+section); err != nil {
						return nil, err
					}
				}
			default:
				return nil, fmt.Errorf("%s: a part may hold only tags, paths and components, not %q", name, key)
			}
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func readPart(parts fs.FS, name string, into *map[string]any) error {
	b, err := fs.ReadFile(parts, name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, into); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// mergeObject adds the members of v to into[key], refusing a member that
// is already there.
func mergeObject(into map[string]any, key string, v any, where string) error {
	add, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%s is not an object", where)
	}
	dst, _ := into[key].(map[string]any)
	if dst == nil {
		dst = map[string]any{}
		into[key] = dst
	}
	for k, val := range add {
		if _, dup := dst[k]; dup {
			return fmt.Errorf("%s: %q is already defined", where, k)
		}
		dst[k] = val
	}
	return nil
}

func (s *Server) openapi(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, "application/json", OpenAPI)
}
