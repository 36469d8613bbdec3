package payload_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/payload"
)

// fuzzEvent has one parameter of every type; the first few are mandatory
// so both refusals and acceptances are common.
func fuzzEvent() design.Event {
	ev := design.Event{App: "Shop", Name: "OnFuzz"}
	for i, t := range design.ParamTypes() {
		ev.Parameters = append(ev.Parameters, design.Parameter{Name: string(t), Type: t, Mandatory: i < 2})
	}
	return ev
}

func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{
		`{"Text":"a","Integer":1}`,
		`{"Text":"a","Integer":1,"LongInteger":9007199254740993,"Decimal":1.5e3,"Boolean":true,"Date":"2026-03-01","Time":"14:30","DateTime":"2026-03-01T14:30:00+01:00","Email":"a@b.co","PhoneNumber":"+1 555 0100","Currency":19.99,"Identifier":7}`,
		`{"Text":"\u00e9\u2028<&>","Integer":-0.0e5}`,
		`{"Text":"a","Integer":1,"Decimal":-0.000000000000000000000000001}`,
		`{"Text":"a","Integer":1e999999999}`,
		`{"Text":"a","Text":"b"}`,
		`{"Text":null,"Integer":"1"}`,
		`[1,2]`,
		`{"Text":"a","Integer":1,"DateTime":"0000-01-01T00:00:00+23:59"}`,
		"{\"Text\":\"\xff\",\"Integer\":1}",
	} {
		f.Add([]byte(s))
	}
	ev := fuzzEvent()
	lim := payload.DefaultLimits()
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, err := payload.CheckJSON(ev, raw, lim)
		if err != nil {
			if out != nil {
				t.Fatalf("refused with output %s", out)
			}
			es := fault.All(err)
			if len(es) == 0 {
				t.Fatalf("refusal %v carries no *fault.Error", err)
			}
			for _, e := range es {
				if e.Code == "" || e.Message == "" || !(errors.Is(e, fault.ErrInvalid) || errors.Is(e, fault.ErrTooLarge)) {
					t.Fatalf("bad refusal %+v", e)
				}
			}
			return
		}
		if !json.Valid(out) || len(out) > lim.MaxPayloadBytes {
			t.Fatalf("accepted output %q is not valid JSON within the limit", out)
		}
		again, err := payload.CheckJSON(ev, out, lim)
		if err != nil || string(again) != string(out) {
			t.Fatalf("canonical %s re-checks to %s, %v", out, again, err)
		}
		vals, err := payload.Decode(ev, out)
		if err != nil {
			t.Fatalf("Decode(%s): %v", out, err)
		}
		if _, err := payload.CheckValues(ev, vals, payload.Limits{MaxPayloadBytes: 1 << 20}); err != nil {
			t.Fatalf("CheckValues(Decode(%s)) = %v", out, err)
		}
	})
}
