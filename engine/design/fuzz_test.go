package design_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/eventloom/eventloom/engine/design"
)

// FuzzDesignCheck feeds any JSON document to the design's own rules, as an
// import decodes it: it is refused with *fault.Error values carrying a
// kind, a code and a message, or accepted, and then its export (the JSON
// GET /api/v1/design sends) decodes back to the same design, which is
// accepted again. The engine-level FuzzImportDesign adds handler
// compilation and storage at a lower rate (every accepted design is
// written to SQLite); this one explores the rules quickly. Run both with
// -fuzzminimizetime of a few seconds: minimizing a large seed (the demo
// design) for the default minute leaves little of a short run for fuzzing.
func FuzzDesignCheck(f *testing.F) {
	demo, err := os.ReadFile("../demo/design.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		string(demo), `{}`, `{"apps":[{"name":"Shop"},{"name":"Shop"}]}`,
		`{"apps":[{"name":"1bad","concurrency":-1,"color":"red","endpoint":"ftp://x"}],"events":[{"app":"Nope","name":"E"}]}`,
		`{"apps":[{"name":"Shop"},{"name":"Stock"}],"events":[{"app":"Shop","name":"OnOrder","parameters":[{"name":"Sku","type":"Text"},{"name":"Sku","type":"Blob"}]}],"subscriptions":[{"app":"Stock","event":"Shop.OnOrder","handler":{"kind":"flow","steps":[{"type":"wait","duration":"-1s"}]}}]}`,
		`{"apps":null,"events":[null],"subscriptions":[{}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := decodeStrict(raw)
		if err != nil {
			return // the REST API's malformed_json refusal
		}
		if errs := d.Check(); len(errs) > 0 {
			for _, e := range errs {
				if e.Kind == nil || e.Code == "" || e.Message == "" {
					t.Fatalf("%s: refusal without kind, code or message: %+v", raw, e)
				}
			}
			return
		}
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("accepted %s does not export: %v", raw, err)
		}
		again, err := decodeStrict(out)
		if err != nil {
			t.Fatalf("the export %s of accepted %s does not import: %v", out, raw, err)
		}
		if errs := again.Check(); len(errs) > 0 {
			t.Fatalf("the export %s of accepted %s is refused: %v", out, raw, errs)
		}
		if out2, _ := json.Marshal(again); !bytes.Equal(out, out2) {
			t.Fatalf("export is not stable:\n%s\n%s", out, out2)
		}
	})
}

func decodeStrict(raw []byte) (design.Design, error) {
	var d design.Design
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(&d)
	return d, err
}
