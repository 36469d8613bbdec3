package payload_test

import (
	"testing"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/payload"
)

var benchEvent = design.Event{Name: "OnPurchaseStarted", Parameters: []design.Parameter{
	{Name: "ProductId", Type: design.Identifier, Mandatory: true},
	{Name: "Quantity", Type: design.Integer, Mandatory: true},
	{Name: "CustomerEmail", Type: design.Email, Mandatory: true},
	{Name: "Amount", Type: design.Currency, Mandatory: true},
	{Name: "PlacedAt", Type: design.DateTime},
}}

func BenchmarkCheckJSON(b *testing.B) {
	raw := []byte(`{"ProductId":"P-7","Quantity":3,"CustomerEmail":"ana@example.com","Amount":19.99,"PlacedAt":"2026-03-01T14:30:00Z"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := payload.CheckJSON(benchEvent, raw, payload.Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	raw := []byte(`{"ProductId":"P-7","Quantity":3,"CustomerEmail":"ana@example.com","Amount":19.99,"PlacedAt":"2026-03-01T14:30:00Z"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := payload.Decode(benchEvent, raw); err != nil {
			b.Fatal(err)
		}
	}
}
