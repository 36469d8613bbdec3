package storage_test

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/storage"
)

// TestCompletionRoundTrip: every completion the constructors build
// survives JSON and the gob a JetStream command carries, unchanged.
func TestCompletionRoundTrip(t *testing.T) {
	next := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	trig := storage.OccurrenceInsertParams{EventID: 7, AppID: 3, Parameters: json.RawMessage(`{"Sku":"A-1"}`), TraceID: 9, ParentDeliveryID: 11, QueueCap: 10}
	codecs := map[string]func(in, out *storage.DeliveryCompleteParams) ([]byte, error){
		"json": func(in, out *storage.DeliveryCompleteParams) ([]byte, error) {
			b, err := json.Marshal(in)
			if err != nil {
				return b, err
			}
			return b, json.Unmarshal(b, out)
		},
		"gob": func(in, out *storage.DeliveryCompleteParams) ([]byte, error) {
			var b bytes.Buffer
			if err := gob.NewEncoder(&b).Encode(in); err != nil {
				return nil, err
			}
			return b.Bytes(), gob.NewDecoder(bytes.NewReader(b.Bytes())).Decode(out)
		},
	}
	for name, codec := range codecs {
		for _, c := range []storage.Completion{storage.Succeeded(), storage.Succeeded(trig, trig), storage.Retrying(next), storage.Dead()} {
			var back storage.DeliveryCompleteParams
			b, err := codec(&storage.DeliveryCompleteParams{DeliveryID: 1, Token: 2, Completion: c}, &back)
			if err != nil {
				t.Fatalf("%s: round trip of %s: %v", name, c.Status(), err)
			}
			checkSame(t, c, back.Completion, trig, b)
		}
	}
}

// checkSame fails t unless got is want, whose triggered occurrences are
// all trig.
func checkSame(t *testing.T, want, got storage.Completion, trig storage.OccurrenceInsertParams, b []byte) {
	t.Helper()
	if got.Status() != want.Status() || !got.NextAttemptAt().Equal(want.NextAttemptAt()) || len(got.Triggered()) != len(want.Triggered()) || got.Err() != nil {
		t.Fatalf("%s came back as %s at %s with %d triggered (err %v) from %q", want.Status(), got.Status(), got.NextAttemptAt(), len(got.Triggered()), got.Err(), b)
	}
	for i, tr := range got.Triggered() {
		if tr.EventID != trig.EventID || tr.TraceID != trig.TraceID || string(tr.Parameters) != string(trig.Parameters) {
			t.Fatalf("triggered %d came back as %+v", i, tr)
		}
	}
}

// TestCompletionRefusesWhatNoConstructorBuilds: the zero completion and
// a retry without its time say what is wrong, and decoding refuses what
// the constructors could not have built.
func TestCompletionRefusesWhatNoConstructorBuilds(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    storage.Completion
		want string
	}{
		{"zero", storage.Completion{}, "build it with storage.Succeeded"},
		{"retry without time", storage.Retrying(time.Time{}), "needs its next attempt time"},
	} {
		if err := tc.c.Err(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Err() = %v, want it to say %q", tc.name, err, tc.want)
		}
	}
	for _, tc := range []struct{ name, json, want string }{
		{"unknown status", `{"status":"running"}`, `status "running" is not succeeded, retrying or dead`},
		{"no status", `{}`, `status "" is not`},
		{"retry without time", `{"status":"retrying"}`, "needs its next attempt time"},
		{"triggers beside a failure", `{"status":"dead","triggered":[{"EventID":1}]}`, "only a success stores them"},
	} {
		var c storage.Completion
		err := json.Unmarshal([]byte(tc.json), &c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: decode %s = %v, want it to say %q", tc.name, tc.json, err, tc.want)
		}
		if c.Status() != "" {
			t.Errorf("%s: a refused decode left the completion %s", tc.name, c.Status())
		}
	}
	if s := storage.Dead().Status(); s != delivery.Dead {
		t.Errorf("Dead().Status() = %s", s)
	}
}
