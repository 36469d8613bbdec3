package flow_test

import (
	"context"
	"testing"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/flow"
)

func BenchmarkRun(b *testing.B) {
	f, err := flow.Compile(handler(
		design.Step{Type: design.StepLog, Message: "Reserving {{ Quantity }} × {{ ProductId }}"},
		design.Step{Type: design.StepFail, When: "Amount > 5000"},
		design.Step{Type: design.StepTrigger, Event: "OnStockReserved", When: "Quantity <= 10", Parameters: map[string]string{
			"ProductId": "ProductId", "Quantity": "Quantity", "CustomerEmail": "CustomerEmail", "Total": "Amount * 1.2",
		}},
	), purchase, own)
	if err != nil {
		b.Fatal(err)
	}
	p := params()
	env := flow.Env{Log: func(string) {}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Run(context.Background(), p, env); err != nil {
			b.Fatal(err)
		}
	}
}
