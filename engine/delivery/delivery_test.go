package delivery_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
)

func TestStatusFinishedAndValid(t *testing.T) {
	for s, finished := range map[delivery.Status]bool{
		delivery.Pending:   false,
		delivery.Running:   false,
		delivery.Retrying:  false,
		delivery.Succeeded: true,
		delivery.Dead:      true,
		delivery.Discarded: true,
	} {
		if !s.Valid() {
			t.Errorf("%s is not valid", s)
		}
		if s.Finished() != finished {
			t.Errorf("%s: Finished = %v, want %v", s, s.Finished(), finished)
		}
	}
	for _, s := range []delivery.Status{"", "lost", "Pending", "failed"} {
		if s.Valid() {
			t.Errorf("%q is valid", s)
		}
		if s.Finished() {
			t.Errorf("%q is finished", s)
		}
	}
}

func TestAttemptDuration(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	a := delivery.Attempt{StartedAt: t0, FinishedAt: t0.Add(1500 * time.Millisecond)}
	if a.Duration() != 1500*time.Millisecond {
		t.Fatalf("Duration = %s", a.Duration())
	}
}

// TestJSONKeys pins the wire names the REST API and the live view show:
// camelCase, ids internal to storage left out.
func TestJSONKeys(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	d := delivery.Delivery{ID: 7, OccurrenceID: 3, SubscriptionID: 9, AppID: 2, App: "Mail", Status: delivery.Retrying, Attempts: 1, NextAttemptAt: t0, LastError: "boom", CreatedAt: t0, UpdatedAt: t0}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"id":7`, `"occurrenceId":3`, `"app":"Mail"`, `"status":"retrying"`, `"attempts":1`, `"nextAttemptAt":`, `"lastError":"boom"`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("delivery JSON %s lacks %s", b, k)
		}
	}
	for _, k := range []string{"subscriptionId", "SubscriptionID", "appId", "AppID"} {
		if strings.Contains(string(b), k) {
			t.Errorf("delivery JSON %s shows %s", b, k)
		}
	}
	d.NextAttemptAt, d.LastError = time.Time{}, ""
	if b, _ := json.Marshal(d); strings.Contains(string(b), "nextAttemptAt") || strings.Contains(string(b), "lastError") {
		t.Errorf("empty next attempt and error are written: %s", b)
	}

	o := delivery.Occurrence{ID: 3, App: "Shop", Event: "Placed", TraceID: 1, ParentDeliveryID: 5, Parameters: json.RawMessage(`{"Sku":"A"}`), Status: delivery.OccurrencePending}
	b, _ = json.Marshal(o)
	for _, k := range []string{`"traceId":1`, `"parentDeliveryId":5`, `"parameters":{"Sku":"A"}`, `"status":"pending"`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("occurrence JSON %s lacks %s", b, k)
		}
	}
}
