package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/clock"
	"github.com/eventloom/eventloom/engine/demo"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/store/mem"
)

// FuzzImportDesign feeds any JSON document to the design import as the
// REST API does (strict decoding, then ImportDesign): it is refused with
// *fault.Error values that say what and where, or accepted, and then the
// export holds exactly the imported apps, events and subscriptions and
// imports again with no change. A document the strict decoder refuses is
// the web layer's malformed_json answer and never reaches the engine.
func FuzzImportDesign(f *testing.F) {
	demoDoc, err := demo.Design()
	if err != nil {
		f.Fatal(err)
	}
	demoJSON, err := json.Marshal(demoDoc)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		string(demoJSON),
		`{}`,
		`{"apps":[{"name":"Shop"}]}`,
		`{"apps":[{"name":"Shop"},{"name":"Shop"}]}`,
		`{"apps":[{"name":"1bad"}],"events":[{"app":"Nope","name":"E"}]}`,
		`{"apps":[{"name":"Shop","concurrency":-1,"color":"red","endpoint":"ftp://x"}]}`,
		`{"apps":[{"name":"Shop"},{"name":"Stock"}],"events":[{"app":"Shop","name":"OnOrder","public":false,"parameters":[{"name":"Sku","type":"Text","mandatory":true},{"name":"Sku","type":"Blob"}]}],"subscriptions":[{"app":"Stock","event":"Shop.OnOrder","enabled":true,"handler":{"kind":"flow","steps":[{"type":"log","message":"{{ Sku }}"}]}}]}`,
		`{"apps":[{"name":"Shop"}],"events":[{"app":"Shop","name":"OnOrder","parameters":[{"name":"Qty","type":"Integer"}]}],"subscriptions":[{"app":"Shop","event":"Shop.OnOrder","enabled":true,"handler":{"kind":"flow","steps":[{"type":"trigger","event":"OnOrder","when":"Qty > 1","parameters":{"Qty":"Qty - 1"}},{"type":"wait","duration":"1s"},{"type":"fail","probability":2}]}}]}`,
		`{"apps":[{"name":"Shop"}],"events":[{"app":"Shop","name":"OnOrder"}],"subscriptions":[{"app":"Shop","event":"Shop.OnOrder","handler":{"kind":"webhook"}},{"app":"Shop","event":"Shop.OnOrder","handler":{"kind":"pull"}}]}`,
		`{"apps":[{"name":"Shop"}],"events":[{"app":"Shop","name":"OnOrder"}],"subscriptions":[{"app":"Shop","event":"Shop.","handler":{"kind":"go"}}]}`,
		`{"apps":null,"events":[null],"subscriptions":[{}]}`,
	} {
		f.Add([]byte(s))
	}

	ctx := context.Background()
	st := mem.New()
	f.Cleanup(func() { _ = st.Close() })
	eng, err := engine.New(ctx, engine.Config{Storage: st, Clock: clock.NewFake(start), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = eng.Close(ctx) })

	f.Fuzz(func(t *testing.T, raw []byte) {
		doc, err := decodeStrict(raw)
		if err != nil {
			return
		}
		if _, err := eng.ImportDesign(ctx, doc, false); err != nil {
			es := fault.All(err)
			if len(es) == 0 {
				t.Fatalf("import of %s refused with %v, which carries no *fault.Error", raw, err)
			}
			for _, e := range es {
				if e.Kind == nil || e.Code == "" || e.Message == "" {
					t.Fatalf("import of %s: refusal without kind, code or message: %+v", raw, e)
				}
			}
			return
		}
		exported := eng.Design()
		if got, want := designNames(exported), designNames(doc); !slices.Equal(got, want) {
			t.Fatalf("import of %s exported %v; want %v", raw, got, want)
		}
		out, err := json.Marshal(exported)
		if err != nil {
			t.Fatalf("export of %s does not marshal: %v", raw, err)
		}
		again, err := decodeStrict(out)
		if err != nil {
			t.Fatalf("the export %s does not decode as an import: %v", out, err)
		}
		changes, err := eng.ImportDesign(ctx, again, true)
		if err != nil || len(changes) != 0 {
			t.Fatalf("re-importing the export %s = %v, %v; want no change", out, changes, err)
		}
	})
}

// decodeStrict decodes a design as the REST API's import does.
func decodeStrict(raw []byte) (design.Design, error) {
	var d design.Design
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(&d)
	return d, err
}

// designNames lists what a design names, sorted: "app X", "event A.E",
// "sub X<-A.E".
func designNames(d design.Design) []string {
	var out []string
	for _, a := range d.Apps {
		out = append(out, "app "+a.Name)
	}
	for _, e := range d.Events {
		out = append(out, "event "+e.Ref().String())
	}
	for _, s := range d.Subscriptions {
		out = append(out, "sub "+s.App+"<-"+s.Event.String())
	}
	slices.Sort(out)
	return out
}
