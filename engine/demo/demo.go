// Package demo holds the demo design seeded into an empty database: the
// web-store example of OutSystems ODC events. Storefront triggers a public
// OnPurchaseStarted; Inventory and FraudDetection handle it in parallel
// with flows and trigger their own events; Payments, Shipping and
// Notifications carry the chain on until the customer's email is "sent".
// FraudDetection fails on purchases over 5,000 (retries, then a dead
// letter) and handles its own private OnManualReviewRequested.
//
// demo imports only engine/design; it must never import storage, store or
// web.
package demo

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/eventloom/eventloom/engine/design"
)

//go:embed design.json
var designJSON []byte

// Design returns a fresh copy of the demo design, ready for
// Engine.ImportDesign.
func Design() (design.Design, error) {
	var d design.Design
	if err := json.Unmarshal(designJSON, &d); err != nil {
		return design.Design{}, fmt.Errorf("demo design: %w", err)
	}
	return d, nil
}
