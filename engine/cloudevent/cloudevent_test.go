package cloudevent

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
)

func TestStructuredRoundTripsThroughTheSDK(t *testing.T) {
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	body, err := Structured(Delivery{ID: 42, OccurrenceID: 7, TraceID: 3, Producer: "Orders", Event: "OrderPlaced", Time: at,
		Parameters: json.RawMessage(`{"OrderId":"A-1","Total":12.5}`)})
	if err != nil {
		t.Fatal(err)
	}
	var ev event.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatalf("the SDK cannot read %s: %v", body, err)
	}
	if ev.ID() != "42" || ev.Source() != "Orders" || ev.Type() != "Orders.OrderPlaced" || !ev.Time().Equal(at) || ev.SpecVersion() != "1.0" {
		t.Errorf("envelope = %s", body)
	}
	var data map[string]any
	if err := ev.DataAs(&data); err != nil || data["OrderId"] != "A-1" {
		t.Errorf("data = %v (%v)", data, err)
	}
	if got := ev.Extensions()["traceparent"]; got != "00-00000000000000000000000000000003-000000000000002a-01" {
		t.Errorf("traceparent = %v", got)
	}
	if ev.Extensions()[ExtOccurrence] != "7" || ev.Extensions()[ExtTrace] != "3" {
		t.Errorf("extensions = %v", ev.Extensions())
	}
}

func TestTraceparentKeepsTheProducersTrace(t *testing.T) {
	in := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
	got := Traceparent(Delivery{ID: 9, TraceID: 1, Traceparent: in})
	if got != "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000009-00" {
		t.Errorf("traceparent = %s", got)
	}
	for _, bad := range []string{"", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"} {
		if ValidTraceparent(bad) {
			t.Errorf("%q accepted", bad)
		}
		if got := Traceparent(Delivery{ID: 9, TraceID: 1, Traceparent: bad}); got != "00-00000000000000000000000000000001-0000000000000009-01" {
			t.Errorf("%q: traceparent = %s", bad, got)
		}
	}
}
