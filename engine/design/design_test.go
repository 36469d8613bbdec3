package design_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/design"
)

func TestParamTypes(t *testing.T) {
	got := design.ParamTypes()
	if len(got) != 12 {
		t.Fatalf("%d parameter types, want the 12 of DESIGN.md: %v", len(got), got)
	}
	for _, typ := range got {
		if !typ.Valid() {
			t.Errorf("%s is listed but not valid", typ)
		}
	}
	for _, typ := range []design.ParamType{"", "text", "Binary", "Record", "List", "Structure"} {
		if typ.Valid() {
			t.Errorf("%q is valid", typ)
		}
	}
}

func TestParseEventRef(t *testing.T) {
	for _, c := range []struct {
		in   string
		want design.EventRef
		ok   bool
	}{
		{"Storefront.OnPurchaseStarted", design.EventRef{App: "Storefront", Event: "OnPurchaseStarted"}, true},
		{"Storefront", design.EventRef{}, false},
		{"Storefront.", design.EventRef{}, false},
		{".OnPurchaseStarted", design.EventRef{}, false},
		{".", design.EventRef{}, false},
		{"", design.EventRef{}, false},
	} {
		got, err := design.ParseEventRef(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseEventRef(%q) = %+v, %v; want %+v ok %v", c.in, got, err, c.want, c.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "Producer.EventName") {
			t.Errorf("ParseEventRef(%q) error %q does not show the expected form", c.in, err)
		}
	}
}

func TestEventRefTextRoundTrip(t *testing.T) {
	ref := design.EventRef{App: "Storefront", Event: "OnPurchaseStarted"}
	if ref.String() != "Storefront.OnPurchaseStarted" {
		t.Fatalf("String = %q", ref.String())
	}
	b, err := ref.MarshalText()
	if err != nil || string(b) != "Storefront.OnPurchaseStarted" {
		t.Fatalf("MarshalText = %q, %v", b, err)
	}
	var back design.EventRef
	if err := back.UnmarshalText(b); err != nil || back != ref {
		t.Fatalf("UnmarshalText(%q) = %+v, %v", b, back, err)
	}

	// As a JSON value and as a map key, both through the text methods.
	in := map[design.EventRef]design.EventRef{ref: {App: "Mail", Event: "Sent"}}
	j, err := json.Marshal(in)
	if err != nil || string(j) != `{"Storefront.OnPurchaseStarted":"Mail.Sent"}` {
		t.Fatalf("json = %s, %v", j, err)
	}
	var out map[design.EventRef]design.EventRef
	if err := json.Unmarshal(j, &out); err != nil || out[ref] != in[ref] {
		t.Fatalf("decoded %v, %v", out, err)
	}

	bad := design.EventRef{App: "Kept", Event: "AsIs"}
	if err := bad.UnmarshalText([]byte("NoDot")); err == nil {
		t.Fatal("a reference without a dot was accepted")
	}
	if bad != (design.EventRef{App: "Kept", Event: "AsIs"}) {
		t.Fatalf("a failed UnmarshalText changed the value to %+v", bad)
	}
	var s design.Subscription
	if err := json.Unmarshal([]byte(`{"event":"ShopPlaced"}`), &s); err == nil {
		t.Fatal("a subscription to an event reference without a dot was accepted")
	}
}

func TestDurationJSONRoundTrip(t *testing.T) {
	for _, c := range []struct {
		text string
		d    time.Duration
	}{
		{"30s", 30 * time.Second},
		{"1m30s", 90 * time.Second},
		{"2m0s", 2 * time.Minute},
		{"250ms", 250 * time.Millisecond},
	} {
		step := design.Step{Type: design.StepWait, Duration: design.Duration(c.d)}
		b, err := json.Marshal(step)
		if err != nil || string(b) != `{"type":"wait","duration":"`+c.text+`"}` {
			t.Fatalf("marshal %s = %s, %v", c.d, b, err)
		}
		var back design.Step
		if err := json.Unmarshal(b, &back); err != nil || back.Duration != step.Duration {
			t.Fatalf("unmarshal %s = %v, %v", b, time.Duration(back.Duration), err)
		}
	}
	var s design.Step
	if err := json.Unmarshal([]byte(`{"duration":"2m"}`), &s); err != nil || time.Duration(s.Duration) != 2*time.Minute {
		t.Fatalf("2m = %v, %v", time.Duration(s.Duration), err)
	}
	for _, bad := range []string{`"soon"`, `"30"`, `""`} {
		err := json.Unmarshal([]byte(`{"duration":`+bad+`}`), &s)
		if err == nil || !strings.Contains(err.Error(), "30s") {
			t.Errorf("duration %s = %v, want an error with an example", bad, err)
		}
	}
	if b, _ := json.Marshal(design.Step{Type: design.StepLog, Message: "m"}); strings.Contains(string(b), "duration") {
		t.Errorf("a zero duration is written: %s", b)
	}
}

func TestEventParamAndRef(t *testing.T) {
	e := design.Event{App: "Shop", Name: "Placed", Parameters: []design.Parameter{{Name: "Sku", Type: design.Text}, {Name: "Qty", Type: design.Integer, Mandatory: true}}}
	if e.Ref() != (design.EventRef{App: "Shop", Event: "Placed"}) {
		t.Fatalf("Ref = %+v", e.Ref())
	}
	if p, ok := e.Param("Qty"); !ok || p.Type != design.Integer || !p.Mandatory {
		t.Fatalf("Param(Qty) = %+v %v", p, ok)
	}
	if _, ok := e.Param("qty"); ok {
		t.Fatal("parameter names matched case-insensitively")
	}
}

func TestIndex(t *testing.T) {
	d := design.Design{
		Apps: []design.App{{ID: 1, Name: "Shop"}, {ID: 2, Name: "Mail"}},
		Events: []design.Event{
			{ID: 10, AppID: 1, App: "Shop", Name: "Placed", Public: true},
			{ID: 11, AppID: 1, App: "Shop", Name: "Audit"},
			{ID: 20, AppID: 2, App: "Mail", Name: "Sent", Public: true},
		},
		Subscriptions: []design.Subscription{
			{ID: 100, AppID: 2, EventID: 10, App: "Mail", Event: design.EventRef{App: "Shop", Event: "Placed"}},
			{ID: 101, AppID: 1, EventID: 10, App: "Shop", Event: design.EventRef{App: "Shop", Event: "Placed"}},
			{ID: 102, AppID: 1, EventID: 20, App: "Shop", Event: design.EventRef{App: "Mail", Event: "Sent"}},
		},
	}
	x := design.NewIndex(d)
	if a, ok := x.App("Mail"); !ok || a.ID != 2 {
		t.Fatalf("App(Mail) = %v %v", a, ok)
	}
	if a, ok := x.AppByID(1); !ok || a.Name != "Shop" {
		t.Fatalf("AppByID(1) = %v %v", a, ok)
	}
	if _, ok := x.App("Nope"); ok {
		t.Fatal("App(Nope) found")
	}
	if e, ok := x.Event(design.EventRef{App: "Shop", Event: "Audit"}); !ok || e.ID != 11 {
		t.Fatalf("Event(Shop.Audit) = %v %v", e, ok)
	}
	if _, ok := x.Event(design.EventRef{App: "Mail", Event: "Audit"}); ok {
		t.Fatal("Event(Mail.Audit) found: events are looked up by producer too")
	}
	if e, ok := x.EventByID(20); !ok || e.Name != "Sent" {
		t.Fatalf("EventByID(20) = %v %v", e, ok)
	}
	if s, ok := x.Subscription(102); !ok || s.App != "Shop" {
		t.Fatalf("Subscription(102) = %v %v", s, ok)
	}
	if got := x.SubscriptionsOf(10); len(got) != 2 || got[0].ID != 100 || got[1].ID != 101 {
		t.Fatalf("SubscriptionsOf(10) = %v", got)
	}
	if got := x.SubscriptionsOf(11); len(got) != 0 {
		t.Fatalf("SubscriptionsOf(11) = %v", got)
	}
	if got := x.SubscriptionsBy(1); len(got) != 2 || got[0].ID != 101 || got[1].ID != 102 {
		t.Fatalf("SubscriptionsBy(1) = %v", got)
	}
	if got := x.EventsOf(1); len(got) != 2 || got[0].Name != "Placed" || got[1].Name != "Audit" {
		t.Fatalf("EventsOf(1) = %v", got)
	}
	if s, ok := x.SubscriptionFor("Mail", design.EventRef{App: "Shop", Event: "Placed"}); !ok || s.ID != 100 {
		t.Fatalf("SubscriptionFor(Mail, Shop.Placed) = %v %v", s, ok)
	}
	if _, ok := x.SubscriptionFor("Mail", design.EventRef{App: "Shop", Event: "Audit"}); ok {
		t.Fatal("SubscriptionFor(Mail, Shop.Audit) found")
	}
	if _, ok := x.SubscriptionFor("Mail", design.EventRef{App: "Shop", Event: "Gone"}); ok {
		t.Fatal("SubscriptionFor an unknown event found")
	}
	// The index points into the design it was given, not into copies.
	if a, _ := x.App("Shop"); a != &x.Apps[0] {
		t.Fatal("App does not point into the indexed design")
	}
}
