package flow

import (
	"context"
	"testing"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
)

func TestFilterMatchesAndRefusesMistakesAtCompile(t *testing.T) {
	ev := design.Event{Name: "OrderPlaced", Parameters: []design.Parameter{
		{Name: "Country", Type: design.Text, Mandatory: true},
		{Name: "Total", Type: design.Decimal},
	}}
	if f, err := CompileFilter("  ", ev); f != nil || err != nil {
		t.Fatalf("an empty filter = %v, %v; want none", f, err)
	}
	f, err := CompileFilter(`Country == "PT" && Total >= 100`, ev)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		params map[string]any
		want   bool
	}{
		{map[string]any{"Country": "PT", "Total": 120.0}, true},
		{map[string]any{"Country": "PT", "Total": 99.5}, false},
		{map[string]any{"Country": "ES", "Total": 500.0}, false},
		{map[string]any{"Country": "PT"}, false}, // an absent Total is 0
	} {
		if got, err := f.Match(context.Background(), c.params, nil); err != nil || got != c.want {
			t.Errorf("Match(%v) = %v, %v; want %v", c.params, got, err, c.want)
		}
	}
	for _, c := range []struct{ src, code string }{
		{`Total + 1`, "expression"},       // not a boolean
		{`Colour == "red"`, "expression"}, // no such parameter
		{`Country > 3`, "expression"},     // mismatched types
	} {
		_, err := CompileFilter(c.src, ev)
		all := fault.All(err)
		if len(all) != 1 || all[0].Field != "filter" || all[0].Code != c.code {
			t.Errorf("CompileFilter(%q) = %v; want one %s error on filter", c.src, err, c.code)
		}
	}
}
