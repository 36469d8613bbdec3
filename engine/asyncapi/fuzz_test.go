package asyncapi_test

import (
	"encoding/json"
	"testing"

	"github.com/eventloom/eventloom/engine/asyncapi"
	"github.com/eventloom/eventloom/engine/fault"
)

// FuzzImport feeds Import arbitrary documents: it must never panic, must
// refuse with fault errors only, and whatever it accepts must export again.
func FuzzImport(f *testing.F) {
	d, err := demoDesignF()
	if err != nil {
		f.Fatal(err)
	}
	doc, err := asyncapi.Export(d, asyncapi.Options{})
	if err != nil {
		f.Fatal(err)
	}
	b, _ := json.Marshal(doc)
	f.Add(b)
	f.Add([]byte(`{"asyncapi":"3.0.0","channels":{"x":{"messages":{"M":{"payload":{"type":"object","properties":{"a":{"type":"integer"}}}}}}},"operations":{"o":{"action":"send","channel":{"$ref":"#/channels/x"},"tags":[{"name":"A"}]}}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := asyncapi.Import(raw)
		if err != nil {
			if len(fault.All(err)) == 0 {
				t.Fatalf("refusal is not a fault error: %v", err)
			}
			return
		}
		if _, err := asyncapi.Export(got, asyncapi.Options{}); err != nil {
			t.Fatalf("an accepted document does not export again: %v", err)
		}
	})
}
