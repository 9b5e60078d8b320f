package api

import (
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"
)

func TestMergeOpenAPIJoinsPartsAndRefusesRedefinitions(t *testing.T) {
	core := `{"openapi":"3.0.3","tags":[{"name":"a"}],"paths":{"/a":{}},"components":{"schemas":{"A":{"type":"string"}}}}`
	fsys := fstest.MapFS{
		"openapi/core.json": {Data: []byte(core)},
		"openapi/b.json":    {Data: []byte(`{"tags":[{"name":"b"}],"paths":{"/b":{}},"components":{"schemas":{"B":{"type":"integer"}},"parameters":{"P":{}}}}`)},
	}
	b, err := mergeOpenAPI(fsys)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tags       []struct{ Name string }
		Paths      map[string]any
		Components map[string]map[string]any
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Tags) != 2 || doc.Tags[1].Name != "b" {
		t.Errorf("tags = %+v", doc.Tags)
	}
	if _, ok := doc.Paths["/b"]; !ok || len(doc.Paths) != 2 {
		t.Errorf("paths = %v", doc.Paths)
	}
	if _, ok := doc.Components["schemas"]["B"]; !ok || len(doc.Components["schemas"]) != 2 || doc.Components["parameters"]["P"] == nil {
		t.Errorf("components = %v", doc.Components)
	}

	fsys["openapi/c.json"] = &fstest.MapFile{Data: []byte(`{"components":{"schemas":{"A":{}}}}`)}
	if _, err := mergeOpenAPI(fsys); err == nil || !strings.Contains(err.Error(), `"A" is already defined`) {
		t.Errorf("redefining a schema: err = %v", err)
	}
	delete(fsys, "openapi/c.json")
	fsys["openapi/d.json"] = &fstest.MapFile{Data: []byte(`{"info":{}}`)}
	if _, err := mergeOpenAPI(fsys); err == nil {
		t.Error("a part changing info was accepted")
	}
}
