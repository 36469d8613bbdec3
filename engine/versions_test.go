package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
)

// TestDesignVersionsAndDiff: every design change is a numbered version
// with who made it and a summary; the diff between two versions lists
// each change with its details and marks what breaks subscribers.
func TestDesignVersionsAndDiff(t *testing.T) {
	h := newHarness(t, engine.Config{Handlers: map[string]engine.Handler{"stock": func(context.Context, *engine.Delivery) ([]engine.Trigger, error) { return nil, nil }}})
	h.shopDesign() // 3 apps, 2 events, 1 subscription: 6 versions
	ctx := engine.WithActor(context.Background(), engine.Actor{Name: "ana", From: "127.0.0.1"})
	vs, err := h.eng.DesignVersions(ctx, 0, 100)
	if err != nil || len(vs) != 6 {
		t.Fatalf("versions = %+v, %v; want 6", vs, err)
	}
	if vs[0].Summary != "create subscription Stock:Shop.OrderPlaced" || vs[0].Actor != "system" || vs[5].Summary != "create app Shop" {
		t.Fatalf("versions = %+v", vs)
	}
	base := vs[0].Version

	ev, _ := h.eng.Event(orderPlaced)
	ev.Parameters = []design.Parameter{
		{Name: "Sku", Type: design.Text, Mandatory: true},
		{Name: "Qty", Type: design.Decimal, Mandatory: true}, // retyped
		{Name: "Gift", Type: design.Boolean},                 // added, optional
	} // Note removed
	if _, err := h.eng.UpdateEvent(engine.ConfirmBreaking(ctx), orderPlaced, ev, false); err != nil {
		t.Fatal(err)
	}
	if _, err := h.eng.UpdateApp(ctx, "Mail", design.App{Name: "Mail", Concurrency: 4}); err != nil {
		t.Fatal(err)
	}
	vs, _ = h.eng.DesignVersions(ctx, 0, 1)
	if vs[0].Version != base+2 || vs[0].Actor != "ana" || vs[0].Summary != "update app Mail" {
		t.Fatalf("newest version = %+v", vs[0])
	}
	diff, err := h.eng.DesignDiff(ctx, base, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(diff) != 2 {
		t.Fatalf("diff = %+v; want the app and the event", diff)
	}
	app, evd := diff[0], diff[1]
	if app.Kind != "app" || app.Name != "Mail" || app.Breaking || strings.Join(app.Details, "; ") != "concurrency: 0 → 4" {
		t.Errorf("app entry = %+v", app)
	}
	want := "parameter Qty retyped Integer → Decimal; parameter Gift added (Boolean); parameter Note removed"
	if evd.Kind != "event" || evd.Action != "update" || strings.Join(evd.Details, "; ") != want || !evd.Breaking ||
		strings.Join(evd.Breaks, ",") != "Stock:Shop.OrderPlaced" {
		t.Errorf("event entry = %+v; want details %q, breaking Stock's subscription", evd, want)
	}
	// The version's document is the design as it was.
	_, old, err := h.eng.DesignVersion(ctx, base)
	if err != nil || len(old.Events) != 2 || len(old.Events[1].Parameters) != 3 {
		t.Fatalf("version %d = %+v, %v", base, old, err)
	}
	if _, err := h.eng.DesignDiff(ctx, base+99, 0); !isKind(err, fault.ErrNotFound) {
		t.Errorf("a diff from a version that does not exist = %v", err)
	}
}
