package storagetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// secrets pins the webhook signing secrets: none until the first
// rotation, which leaves no previous one; each later rotation keeps the
// replaced secret as the previous one until the given time, and only the
// one secret it replaced (at most two sign); apps are independent; an
// unknown app is refused; a durable backend keeps them across a reopen.
func (s *suite) secrets(t *testing.T) {
	fx := s.fixture(t)
	_, err := fx.st.SecretGet(ctx(t), fx.shop.ID)
	wantKind(t, err, fault.ErrNotFound, "secret get before any rotation")

	first, err := fx.st.SecretRotate(ctx(t), &storage.SecretRotateParams{AppID: fx.shop.ID, Secret: "whsec_one", Now: t0, PreviousValidUntil: t0.Add(time.Hour)})
	if err != nil {
		t.Fatalf("first rotation: %v", err)
	}
	want := storage.AppSecret{AppID: fx.shop.ID, Current: "whsec_one", RotatedAt: t0}
	checkSecret(t, "after the first rotation", first, want)
	checkSecret(t, "read after the first rotation", fx.secret(t, fx.shop.ID), want)

	second, err := fx.st.SecretRotate(ctx(t), &storage.SecretRotateParams{AppID: fx.shop.ID, Secret: "whsec_two", Now: t0.Add(time.Minute), PreviousValidUntil: t0.Add(25 * time.Hour)})
	if err != nil {
		t.Fatalf("second rotation: %v", err)
	}
	want = storage.AppSecret{AppID: fx.shop.ID, Current: "whsec_two", Previous: "whsec_one", PreviousValidUntil: t0.Add(25 * time.Hour), RotatedAt: t0.Add(time.Minute)}
	checkSecret(t, "after the second rotation", second, want)
	checkSecret(t, "read after the second rotation", fx.secret(t, fx.shop.ID), want)

	third, err := fx.st.SecretRotate(ctx(t), &storage.SecretRotateParams{AppID: fx.shop.ID, Secret: "whsec_three", Now: t0.Add(2 * time.Minute), PreviousValidUntil: t0.Add(30 * time.Hour)})
	if err != nil {
		t.Fatalf("third rotation: %v", err)
	}
	want = storage.AppSecret{AppID: fx.shop.ID, Current: "whsec_three", Previous: "whsec_two", PreviousValidUntil: t0.Add(30 * time.Hour), RotatedAt: t0.Add(2 * time.Minute)}
	checkSecret(t, "after the third rotation", third, want)

	_, err = fx.st.SecretGet(ctx(t), fx.stock.ID)
	wantKind(t, err, fault.ErrNotFound, "secret get of another app")
	_, err = fx.st.SecretRotate(ctx(t), &storage.SecretRotateParams{AppID: fx.shop.ID + fx.stock.ID + fx.mail.ID + 1000, Secret: "whsec_x", Now: t0})
	wantKind(t, err, fault.ErrNotFound, "rotation for an unknown app")

	if s.f.Durable {
		fx.reopen(t)
		checkSecret(t, "after a reopen", fx.secret(t, fx.shop.ID), want)
	}
}

func (fx *fixture) secret(t *testing.T, appID int64) storage.AppSecret {
	t.Helper()
	got, err := fx.st.SecretGet(ctx(t), appID)
	if err != nil {
		t.Fatalf("secret get of app %d: %v", appID, err)
	}
	return got
}

func checkSecret(t *testing.T, where string, got, want storage.AppSecret) {
	t.Helper()
	if got.AppID != want.AppID || got.Current != want.Current || got.Previous != want.Previous ||
		!got.PreviousValidUntil.Equal(want.PreviousValidUntil) || !got.RotatedAt.Equal(want.RotatedAt) {
		t.Fatalf("%s: secret = %+v; want %+v", where, got, want)
	}
}

// attemptResponse: a webhook receiver's answer is stored with its attempt
// exactly (status, kept headers, latency, body, truncation) and read back
// by every query that returns attempts; an attempt without one reads back
// without one, and a copy read back does not share the stored headers.
func (s *suite) attemptResponse(t *testing.T) {
	fx := s.fixture(t)
	r := fx.orderBoth(t, true)
	resp := &delivery.Response{Status: 503, Headers: map[string]string{"Retry-After": "120", "Content-Type": "text/plain; charset=utf-8"},
		LatencyMillis: 42, Body: "busy \"now\"\nprix: 12,50 €", BodyTruncated: true}
	var answered, quiet storage.Claim
	for _, c := range r.Deliveries {
		if c.SubscriptionID == fx.stockSub.ID {
			answered = c
		} else {
			quiet = c
		}
	}
	a := delivery.Attempt{DeliveryID: answered.DeliveryID, Number: 1, StartedAt: t0.Add(time.Second), FinishedAt: t0.Add(2 * time.Second),
		Outcome: delivery.OutcomeFailed, Error: "the receiver answered 503", Response: resp.Clone()}
	if _, err := fx.st.DeliveryComplete(ctx(t), &storage.DeliveryCompleteParams{DeliveryID: answered.DeliveryID, Token: answered.Token,
		Completion: completionFor(delivery.Retrying, t0.Add(time.Minute)), Attempt: a}); err != nil {
		t.Fatalf("complete with a response: %v", err)
	}
	if _, err := fx.st.DeliveryComplete(ctx(t), &storage.DeliveryCompleteParams{DeliveryID: quiet.DeliveryID, Token: quiet.Token,
		Completion: storage.Succeeded(), Attempt: delivery.Attempt{StartedAt: t0, FinishedAt: t0.Add(time.Second), Outcome: delivery.OutcomeSucceeded}}); err != nil {
		t.Fatalf("complete without a response: %v", err)
	}
	check := func(where string, ds []delivery.Delivery) {
		t.Helper()
		for _, d := range ds {
			if len(d.AttemptList) != 1 {
				t.Fatalf("%s: delivery %d has %d attempts, want 1", where, d.ID, len(d.AttemptList))
			}
			got := d.AttemptList[0].Response
			switch d.ID {
			case answered.DeliveryID:
				if !reflect.DeepEqual(got, resp) {
					t.Fatalf("%s: response = %+v; want %+v", where, got, resp)
				}
				got.Headers["Retry-After"] = "changed by a reader"
			case quiet.DeliveryID:
				if got != nil {
					t.Fatalf("%s: an attempt stored without a response reads back with %+v", where, got)
				}
			}
		}
	}
	fx.readEveryWay(t, r, check)
}
