package design_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine/design"
)

// TestParseSubscriptionRef: the one spelling of a subscription reads back
// into its three parts, and anything else is refused with the form to use.
func TestParseSubscriptionRef(t *testing.T) {
	got, err := design.ParseSubscriptionRef("Mail:Shop.OrderPlaced")
	want := design.SubscriptionRef{App: "Mail", Producer: "Shop", Event: "OrderPlaced"}
	if err != nil || got != want {
		t.Fatalf("parse = %+v, %v; want %+v", got, err, want)
	}
	if got.String() != "Mail:Shop.OrderPlaced" || got.EventRef() != (design.EventRef{App: "Shop", Event: "OrderPlaced"}) {
		t.Fatalf("String = %q, EventRef = %v", got.String(), got.EventRef())
	}
	for _, bad := range []string{"", "Mail", "Mail:", ":Shop.OrderPlaced", "Mail:Shop", "Mail:Shop.", "Mail:.OrderPlaced", "Shop.OrderPlaced", "Mail:Shop.Order.Placed", "Mail:Sh:op.OrderPlaced"} {
		_, err := design.ParseSubscriptionRef(bad)
		if err == nil {
			t.Errorf("%q parsed; want an error", bad)
			continue
		}
		if !strings.Contains(err.Error(), "HandlingApp:Producer.Event") || !strings.Contains(err.Error(), "Mail:Shop.OrderPlaced") {
			t.Errorf("%q: error %q does not say how to write one", bad, err)
		}
	}
}

// TestSubscriptionRefOfSubscription: a subscription's reference names the
// handling app first, then the event it handles.
func TestSubscriptionRefOfSubscription(t *testing.T) {
	s := design.Subscription{App: "Stock", Event: design.EventRef{App: "Shop", Event: "Paid"}}
	if got := s.Ref(); got != design.NewSubscriptionRef("Stock", s.Event) || got.String() != "Stock:Shop.Paid" {
		t.Fatalf("Ref = %+v (%s)", got, got)
	}
	if p := s.Ref().FieldPrefix(); p != "subscriptions[Stock:Shop.Paid]." {
		t.Fatalf("FieldPrefix = %q", p)
	}
}

// TestSubscriptionRefJSONKey: as a map key and as a value it reads and
// writes the text form, and a malformed key fails the whole decode.
func TestSubscriptionRefJSONKey(t *testing.T) {
	in := map[design.SubscriptionRef][]design.SubscriptionRef{
		{App: "Mail", Producer: "Shop", Event: "Paid"}: {{App: "Ledger", Producer: "Shop", Event: "Paid"}},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"Mail:Shop.Paid":["Ledger:Shop.Paid"]}` {
		t.Fatalf("json = %s", b)
	}
	var out map[design.SubscriptionRef][]design.SubscriptionRef
	if err := json.Unmarshal(b, &out); err != nil || len(out) != 1 || out[design.SubscriptionRef{App: "Mail", Producer: "Shop", Event: "Paid"}][0].App != "Ledger" {
		t.Fatalf("round trip = %v, %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"Mail-Shop.Paid":[]}`), &out); err == nil || !strings.Contains(err.Error(), "HandlingApp:Producer.Event") {
		t.Fatalf("bad key error = %v", err)
	}
}
