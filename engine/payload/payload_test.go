package payload_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/payload"
)

// one is an event with a single optional parameter of type t named V.
func one(t design.ParamType) design.Event {
	return design.Event{App: "Shop", Name: "OnTest", Parameters: []design.Parameter{{Name: "V", Type: t}}}
}

// fieldCodes lists "Field:Code" of every fault in err.
func fieldCodes(err error) []string {
	var out []string
	for _, e := range fault.All(err) {
		out = append(out, e.Field+":"+e.Code)
	}
	return out
}

func TestCheckJSONTypes(t *testing.T) {
	cases := []struct {
		typ  design.ParamType
		in   string // the JSON value of V
		want string // canonical JSON value, or "" when refused
		code string // the refusal's code
	}{
		{design.Text, `"hello"`, `"hello"`, ""},
		{design.Text, `""`, `""`, ""},
		{design.Text, `"a<b>&c"`, `"a<b>&c"`, ""},
		{design.Text, `"line\nnext \u00e9"`, `"line\nnext é"`, ""},
		{design.Text, `3`, "", "wrong_type"},
		{design.Text, `["a"]`, "", "wrong_type"},
		{design.Text, `{"a":1}`, "", "wrong_type"},
		// Bad bytes are refused as in a form, not replaced by U+FFFD.
		{design.Text, "\"a\xffb\"", "", "invalid_format"},
		{design.Text, "\"\xc3\"", "", "invalid_format"},

		{design.Integer, `3`, `3`, ""},
		{design.Integer, `-0`, `0`, ""},
		{design.Integer, `3.0`, `3`, ""},
		{design.Integer, `1e3`, `1000`, ""},
		{design.Integer, `2147483647`, `2147483647`, ""},
		{design.Integer, `-2147483648`, `-2147483648`, ""},
		{design.Integer, `2147483648`, "", "out_of_range"},
		{design.Integer, `-2147483649`, "", "out_of_range"},
		{design.Integer, `3.5`, "", "wrong_type"},
		{design.Integer, `"3"`, "", "wrong_type"},
		{design.Integer, `"three"`, "", "wrong_type"},
		{design.Integer, `true`, "", "wrong_type"},
		{design.Integer, `1e999999999`, "", "out_of_range"},
		{design.Integer, `1e-999999999`, "", "wrong_type"},

		{design.LongInteger, `9007199254740993`, `9007199254740993`, ""},
		{design.LongInteger, `9223372036854775807`, `9223372036854775807`, ""},
		{design.LongInteger, `-9223372036854775808`, `-9223372036854775808`, ""},
		{design.LongInteger, `9223372036854775808`, "", "out_of_range"},
		{design.LongInteger, `12345678901234567890123`, "", "out_of_range"},
		{design.LongInteger, `0.5`, "", "wrong_type"},

		{design.Decimal, `2.5`, `2.5`, ""},
		{design.Decimal, `2.50`, `2.5`, ""},
		{design.Decimal, `-0.0`, `0`, ""},
		{design.Decimal, `1.5e2`, `150`, ""},
		{design.Decimal, `1E-3`, `0.001`, ""},
		{design.Decimal, `12345678901234567890.12345678`, `12345678901234567890.12345678`, ""},
		{design.Decimal, `0.1234567890123456789012345678`, `0.1234567890123456789012345678`, ""},
		{design.Decimal, `0.00000000000000000000000000001`, "", "out_of_range"},
		{design.Decimal, `1e28`, "", "out_of_range"},
		{design.Decimal, `1234567890123456789012345678.9`, "", "out_of_range"},
		{design.Decimal, `"2.5"`, "", "wrong_type"},
		{design.Decimal, `null`, ``, ""},

		{design.Currency, `19.99`, `19.99`, ""},
		{design.Currency, `19.90`, `19.9`, ""},
		{design.Currency, `100`, `100`, ""},
		{design.Currency, `0.12345678`, `0.12345678`, ""},
		{design.Currency, `0.123456789`, "", "out_of_range"},
		{design.Currency, `"19.99"`, "", "wrong_type"},

		{design.Boolean, `true`, `true`, ""},
		{design.Boolean, `false`, `false`, ""},
		{design.Boolean, `"true"`, "", "wrong_type"},
		{design.Boolean, `1`, "", "wrong_type"},

		{design.Date, `"2026-03-01"`, `"2026-03-01"`, ""},
		{design.Date, `"2024-02-29"`, `"2024-02-29"`, ""},
		{design.Date, `"2026-02-29"`, "", "invalid_format"},
		{design.Date, `"03/01/2026"`, "", "invalid_format"},
		{design.Date, `"2026-3-1"`, "", "invalid_format"},
		{design.Date, `20260301`, "", "wrong_type"},

		{design.Time, `"14:30:05"`, `"14:30:05"`, ""},
		{design.Time, `"14:30"`, `"14:30:00"`, ""},
		{design.Time, `"24:00"`, "", "invalid_format"},
		{design.Time, `"2:30 PM"`, "", "invalid_format"},
		{design.Time, `"14:30:05.5"`, "", "invalid_format"},

		{design.DateTime, `"2026-03-01T14:30:00Z"`, `"2026-03-01T14:30:00Z"`, ""},
		{design.DateTime, `"2026-03-01T14:30:00+01:00"`, `"2026-03-01T13:30:00Z"`, ""},
		{design.DateTime, `"2026-03-01T14:30:00.250Z"`, `"2026-03-01T14:30:00.25Z"`, ""},
		{design.DateTime, `"2026-03-01T14:30:00"`, "", "invalid_format"},
		{design.DateTime, `"2026-03-01"`, "", "invalid_format"},
		{design.DateTime, `"0000-01-01T00:30:00+01:00"`, "", "out_of_range"},
		{design.DateTime, `"0000-06-01T00:00:00Z"`, "", "out_of_range"},
		{design.DateTime, `"0001-01-01T00:00:00Z"`, `"0001-01-01T00:00:00Z"`, ""},
		{design.Date, `"0000-01-01"`, "", "out_of_range"},
		{design.Date, `"0001-01-01"`, `"0001-01-01"`, ""},

		{design.Email, `"ana@example.com"`, `"ana@example.com"`, ""},
		{design.Email, `" ana@example.com "`, `"ana@example.com"`, ""},
		{design.Email, `"ana.maria+shop@mail.example.co.uk"`, `"ana.maria+shop@mail.example.co.uk"`, ""},
		{design.Email, `"ana@localhost"`, "", "invalid_format"},
		{design.Email, `"ana@example."`, "", "invalid_format"},
		{design.Email, `"Ana <ana@example.com>"`, "", "invalid_format"},
		{design.Email, `"ana"`, "", "invalid_format"},
		{design.Email, `"@example.com"`, "", "invalid_format"},
		{design.Email, `"` + strings.Repeat("a", 250) + `@example.com"`, "", "out_of_range"},

		{design.PhoneNumber, `"+1 (555) 010-9999"`, `"+1 (555) 010-9999"`, ""},
		{design.PhoneNumber, `"12345"`, `"12345"`, ""},
		{design.PhoneNumber, `"1234"`, "", "invalid_format"},
		{design.PhoneNumber, `"555 CALL NOW"`, "", "invalid_format"},
		{design.PhoneNumber, `"1+5550109999"`, "", "invalid_format"},
		{design.PhoneNumber, `5550109999`, "", "wrong_type"},

		{design.Identifier, `"A-1001"`, `"A-1001"`, ""},
		{design.Identifier, `1001`, `"1001"`, ""},
		{design.Identifier, `9007199254740993`, `"9007199254740993"`, ""},
		{design.Identifier, `1.5`, "", "wrong_type"},
		{design.Identifier, `""`, ``, ""},
		{design.Identifier, `"  "`, ``, ""},
		{design.Email, `""`, ``, ""},
		{design.Date, `""`, ``, ""},
		{design.Text, `"  "`, `"  "`, ""},
		{design.Identifier, `"` + strings.Repeat("x", 255) + `"`, `"` + strings.Repeat("x", 255) + `"`, ""},
		{design.Identifier, `"` + strings.Repeat("x", 256) + `"`, "", "out_of_range"},
	}
	for _, c := range cases {
		t.Run(string(c.typ)+" "+c.in, func(t *testing.T) {
			got, err := payload.CheckJSON(one(c.typ), []byte(`{"V":`+c.in+`}`), payload.Limits{})
			if c.code != "" {
				fc := fieldCodes(err)
				if len(fc) != 1 || fc[0] != "V:"+c.code {
					t.Fatalf("err = %v (%v), want V:%s", err, fc, c.code)
				}
				if !errors.Is(err, fault.ErrInvalid) {
					t.Fatalf("err %v is not ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			want := `{"V":` + c.want + `}`
			if c.want == "" {
				want = `{}`
			}
			if string(got) != want {
				t.Fatalf("canonical = %s, want %s", got, want)
			}
			again, err := payload.CheckJSON(one(c.typ), got, payload.Limits{})
			if err != nil || string(again) != string(got) {
				t.Fatalf("canonical %s re-checks to %s, %v", got, again, err)
			}
		})
	}
}

func TestMessagesSayWhatAndHow(t *testing.T) {
	ev := design.Event{Name: "OnPurchaseStarted", Parameters: []design.Parameter{
		{Name: "Quantity", Type: design.Integer, Mandatory: true},
		{Name: "Amount", Type: design.Currency},
		{Name: "Note", Type: design.Text},
	}}
	cases := []struct{ in, want string }{
		{`{"Quantity":"three"}`, `Quantity must be a whole number such as 3; got "three"`},
		{`{"Quantity":"3"}`, `(send the number without quotes)`},
		{`{"Quantity":3000000000}`, `use a LongInteger parameter for larger numbers`},
		{`{"Quantity":1,"Amount":1.123456789}`, `Amount is 1.123456789, with 9 decimal places; a Currency has at most 8`},
		{`{"Quantity":1e10}`, `an Integer is between`},
		{`{"Quantity":1,"quantity":2}`, `did you mean Quantity?`},
		{`{"Quantity":1,"Colour":2}`, `the parameters are Quantity, Amount, Note`},
		{`{}`, `Quantity is mandatory; send a value of type Integer`},
		{`[1]`, `must be one JSON object`},
	}
	for _, c := range cases {
		_, err := payload.CheckJSON(ev, []byte(c.in), payload.Limits{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to contain %q", c.in, err, c.want)
		}
	}
}

func TestCurrencyScaleFromJSONRefusedFromFloatRounded(t *testing.T) {
	ev := one(design.Currency)
	if _, err := payload.CheckJSON(ev, []byte(`{"V":1.123456789}`), payload.Limits{}); len(fieldCodes(err)) != 1 {
		t.Fatalf("9 decimal places in JSON = %v, want refused", err)
	}
	got, err := payload.CheckValues(ev, map[string]any{"V": 19.99 * 1.2}, payload.Limits{})
	if err != nil || string(got) != `{"V":23.988}` {
		t.Fatalf("19.99*1.2 = %s, %v; want 23.988", got, err)
	}
	got, err = payload.CheckValues(ev, map[string]any{"V": 0.1 + 0.2}, payload.Limits{})
	if err != nil || string(got) != `{"V":0.3}` {
		t.Fatalf("0.1+0.2 = %s, %v; want 0.3", got, err)
	}
}

func TestAllErrorsReportedTogetherInOrder(t *testing.T) {
	ev := design.Event{Name: "OnPurchaseStarted", Parameters: []design.Parameter{
		{Name: "ProductId", Type: design.Identifier, Mandatory: true},
		{Name: "Quantity", Type: design.Integer, Mandatory: true},
		{Name: "CustomerEmail", Type: design.Email, Mandatory: true},
		{Name: "Amount", Type: design.Currency, Mandatory: true},
		{Name: "Note", Type: design.Text},
	}}
	raw := `{"Zeta":1,"Quantity":"three","Alpha":true,"CustomerEmail":"nobody","Amount":null,"Note":"` + strings.Repeat("x", 2001) + `"}`
	_, err := payload.CheckJSON(ev, []byte(raw), payload.Limits{})
	want := []string{
		"ProductId:required", "Quantity:wrong_type", "CustomerEmail:invalid_format",
		"Amount:required", "Note:text_too_long", "Alpha:unknown_parameter", "Zeta:unknown_parameter",
	}
	if got := fieldCodes(err); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("errors\n got %v\nwant %v", got, want)
	}
	var list fault.List
	if !errors.As(err, &list) {
		t.Fatalf("err %T is not a fault.List", err)
	}
	for _, e := range list {
		if e.Kind != fault.ErrInvalid || e.Message == "" {
			t.Errorf("%+v: want ErrInvalid with a message", e)
		}
	}
}

func TestTextLengthInCharacters(t *testing.T) {
	ev := one(design.Text)
	for _, r := range []string{"a", "é", "€", "😀"} {
		for _, c := range []struct {
			n  int
			ok bool
		}{{2000, true}, {2001, false}} {
			s := strings.Repeat(r, c.n)
			raw, _ := json.Marshal(map[string]string{"V": s})
			_, errJSON := payload.CheckJSON(ev, raw, payload.Limits{MaxPayloadBytes: 1 << 20})
			_, errGo := payload.CheckValues(ev, map[string]any{"V": s}, payload.Limits{MaxPayloadBytes: 1 << 20})
			_, errForm := payload.CheckForm(ev, map[string]string{"V": s}, payload.Limits{MaxPayloadBytes: 1 << 20})
			for _, err := range []error{errJSON, errGo, errForm} {
				if c.ok && err != nil {
					t.Fatalf("%d × %q refused: %v", c.n, r, err)
				}
				if !c.ok {
					es := fault.All(err)
					if len(es) != 1 || es[0].Code != "text_too_long" || !strings.Contains(es[0].Message, "is 2001 characters; the limit is 2000") {
						t.Fatalf("%d × %q = %v, want text_too_long", c.n, r, err)
					}
				}
			}
		}
	}
	_, err := payload.CheckValues(ev, map[string]any{"V": strings.Repeat("a", 11)}, payload.Limits{MaxTextLength: 10})
	if len(fault.All(err)) != 1 {
		t.Fatalf("a configured limit of 10 let 11 characters through: %v", err)
	}
}

func TestPayloadSizeBoundary(t *testing.T) {
	ev := one(design.Text)
	lim := payload.Limits{MaxTextLength: 1 << 20}
	overhead := len(`{"V":""}`)
	exact := []byte(`{"V":"` + strings.Repeat("a", 10240-overhead) + `"}`)
	if len(exact) != 10240 {
		t.Fatalf("test payload is %d bytes", len(exact))
	}
	if _, err := payload.CheckJSON(ev, exact, lim); err != nil {
		t.Fatalf("10240 bytes refused: %v", err)
	}
	over := []byte(`{"V":"` + strings.Repeat("a", 10241-overhead) + `"}`)
	_, err := payload.CheckJSON(ev, over, lim)
	if !errors.Is(err, fault.ErrTooLarge) {
		t.Fatalf("10241 bytes = %v, want ErrTooLarge", err)
	}
	if es := fault.All(err); len(es) != 1 || es[0].Code != "payload_too_large" || !strings.Contains(es[0].Message, "10241 bytes; the limit is 10240 bytes") {
		t.Fatalf("10241 bytes = %+v", es)
	}
	// Refused before parsing: even garbage of that size is "too large".
	if _, err := payload.CheckJSON(ev, []byte(strings.Repeat("x", 10241)), lim); !errors.Is(err, fault.ErrTooLarge) {
		t.Fatalf("10241 bytes of garbage = %v, want ErrTooLarge", err)
	}
	// Go values and forms are measured in canonical form.
	s := strings.Repeat("a", 10240-overhead)
	if _, err := payload.CheckValues(ev, map[string]any{"V": s}, lim); err != nil {
		t.Fatalf("values of 10240 bytes refused: %v", err)
	}
	if _, err := payload.CheckValues(ev, map[string]any{"V": s + "a"}, lim); !errors.Is(err, fault.ErrTooLarge) {
		t.Fatalf("values of 10241 bytes = %v, want ErrTooLarge", err)
	}
	if _, err := payload.CheckForm(ev, map[string]string{"V": s + "a"}, lim); !errors.Is(err, fault.ErrTooLarge) {
		t.Fatalf("form of 10241 bytes = %v, want ErrTooLarge", err)
	}
	if _, err := payload.CheckJSON(ev, []byte(`{"V":"abcdefghij"}`), payload.Limits{MaxPayloadBytes: 10}); !errors.Is(err, fault.ErrTooLarge) {
		t.Fatalf("a configured limit of 10 bytes = %v", err)
	}
}

func TestMalformed(t *testing.T) {
	ev := one(design.Text)
	for _, raw := range []string{``, `null`, `[]`, `"V"`, `{"V":"a"`, `{"V":"a"} {}`, `{"V":"a",}`, `{V:"a"}`} {
		_, err := payload.CheckJSON(ev, []byte(raw), payload.Limits{})
		if fc := fieldCodes(err); len(fc) != 1 || fc[0] != ":malformed" {
			t.Errorf("%q = %v, want :malformed", raw, fc)
		}
	}
	_, err := payload.CheckJSON(ev, []byte(`{"V":"a","V":"b"}`), payload.Limits{})
	if fc := fieldCodes(err); len(fc) != 1 || fc[0] != "V:malformed" {
		t.Errorf("duplicate name = %v, want V:malformed", fc)
	}
}

func TestNullAndAbsence(t *testing.T) {
	ev := design.Event{Name: "E", Parameters: []design.Parameter{
		{Name: "M", Type: design.Integer, Mandatory: true},
		{Name: "O", Type: design.Text},
	}}
	got, err := payload.CheckJSON(ev, []byte(`{"O":null,"M":1}`), payload.Limits{})
	if err != nil || string(got) != `{"M":1}` {
		t.Fatalf("null optional = %s, %v", got, err)
	}
	_, err = payload.CheckJSON(ev, []byte(`{"M":null}`), payload.Limits{})
	if fc := fieldCodes(err); len(fc) != 1 || fc[0] != "M:required" {
		t.Fatalf("null mandatory = %v", fc)
	}
	got, err = payload.CheckValues(ev, map[string]any{"M": 1, "O": nil}, payload.Limits{})
	if err != nil || string(got) != `{"M":1}` {
		t.Fatalf("nil optional = %s, %v", got, err)
	}
	got, err = payload.CheckForm(ev, map[string]string{"M": " 1 ", "O": ""}, payload.Limits{})
	if err != nil || string(got) != `{"M":1}` {
		t.Fatalf("empty optional form field = %s, %v", got, err)
	}
	_, err = payload.CheckForm(ev, map[string]string{"M": "  "}, payload.Limits{})
	if fc := fieldCodes(err); len(fc) != 1 || fc[0] != "M:required" {
		t.Fatalf("blank mandatory form field = %v", fc)
	}
	got, err = payload.CheckJSON(ev, []byte(`{"M":""}`), payload.Limits{})
	if fc := fieldCodes(err); len(fc) != 1 || fc[0] != "M:required" {
		t.Fatalf(`"" for a mandatory Integer = %v, want required`, fc)
	}
	got, err = payload.CheckForm(ev, map[string]string{"M": "1", "O": "  "}, payload.Limits{})
	if err != nil || string(got) != `{"M":1,"O":"  "}` {
		t.Fatalf("blank Text is text = %s, %v", got, err)
	}
}

func TestCheckValuesTypes(t *testing.T) {
	type sku string
	day := time.Date(2026, 3, 1, 14, 30, 5, 0, time.FixedZone("CET", 3600))
	cases := []struct {
		typ  design.ParamType
		in   any
		want string
		code string
	}{
		{design.Text, "hi", `"hi"`, ""},
		{design.Text, sku("A-1"), `"A-1"`, ""},
		{design.Text, 3, "", "wrong_type"},
		{design.Text, "\xff", "", "invalid_format"},
		{design.Integer, 3, `3`, ""},
		{design.Integer, int8(-3), `-3`, ""},
		{design.Integer, uint64(7), `7`, ""},
		{design.Integer, int64(math.MaxInt32) + 1, "", "out_of_range"},
		{design.Integer, 3.0, `3`, ""},
		{design.Integer, float32(4), `4`, ""},
		{design.Integer, 3.5, "", "wrong_type"},
		{design.Integer, 1e-300, "", "wrong_type"},
		{design.Integer, math.NaN(), "", "out_of_range"},
		{design.Integer, json.Number("12"), `12`, ""},
		{design.Integer, json.Number("twelve"), "", "wrong_type"},
		{design.Integer, "3", "", "wrong_type"},
		{design.Integer, time.Second, "", "wrong_type"},
		{design.LongInteger, int64(9007199254740993), `9007199254740993`, ""},
		{design.LongInteger, uint64(math.MaxUint64), "", "out_of_range"},
		{design.LongInteger, 1e300, "", "out_of_range"},
		{design.LongInteger, math.Inf(1), "", "out_of_range"},
		{design.Decimal, 2.5, `2.5`, ""},
		{design.Decimal, float32(0.1), `0.1`, ""},
		{design.Decimal, 1e-30, `0`, ""},
		{design.Decimal, 1e27, `1000000000000000000000000000`, ""},
		{design.Decimal, 1e28, "", "out_of_range"},
		{design.Decimal, 7, `7`, ""},
		{design.Currency, 19.999999999, `20`, ""},
		{design.Currency, json.Number("19.999999999"), "", "out_of_range"},
		{design.Boolean, true, `true`, ""},
		{design.Boolean, "true", "", "wrong_type"},
		{design.Date, day, `"2026-03-01"`, ""},
		{design.Date, "2026-03-01", `"2026-03-01"`, ""},
		{design.Time, day, `"14:30:05"`, ""},
		{design.DateTime, day, `"2026-03-01T13:30:05Z"`, ""},
		{design.DateTime, "2026-03-01T14:30:05+01:00", `"2026-03-01T13:30:05Z"`, ""},
		{design.DateTime, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), "", "out_of_range"},
		{design.Identifier, 42, `"42"`, ""},
		{design.Identifier, int64(9007199254740993), `"9007199254740993"`, ""},
		{design.Identifier, 42.5, "", "wrong_type"},
		{design.Email, "ana@example.com", `"ana@example.com"`, ""},
		{design.PhoneNumber, []string{"1"}, "", "wrong_type"},
	}
	for _, c := range cases {
		got, err := payload.CheckValues(one(c.typ), map[string]any{"V": c.in}, payload.Limits{})
		if c.code != "" {
			if fc := fieldCodes(err); len(fc) != 1 || fc[0] != "V:"+c.code {
				t.Errorf("%s %#v = %v, want V:%s", c.typ, c.in, err, c.code)
			}
			continue
		}
		if err != nil || string(got) != `{"V":`+c.want+`}` {
			t.Errorf("%s %#v = %s, %v; want %s", c.typ, c.in, got, err, c.want)
		}
	}
}

func TestCheckFormTypes(t *testing.T) {
	cases := []struct {
		typ  design.ParamType
		in   string
		want string
		code string
	}{
		{design.Integer, "3", `3`, ""},
		{design.Integer, " +007 ", `7`, ""},
		{design.Integer, "three", "", "wrong_type"},
		{design.Integer, "3.5", "", "wrong_type"},
		{design.Integer, "1,000", "", "wrong_type"},
		{design.LongInteger, "9007199254740993", `9007199254740993`, ""},
		{design.Decimal, ".5", `0.5`, ""},
		{design.Currency, "19.99", `19.99`, ""},
		{design.Currency, "19.999999999", "", "out_of_range"},
		{design.Boolean, "on", `true`, ""},
		{design.Boolean, "TRUE", `true`, ""},
		{design.Boolean, "1", `true`, ""},
		{design.Boolean, "0", `false`, ""},
		{design.Boolean, "false", `false`, ""},
		{design.Boolean, "yes", "", "wrong_type"},
		{design.Date, "2026-03-01", `"2026-03-01"`, ""},
		{design.Time, "09:15", `"09:15:00"`, ""},
		{design.DateTime, "2026-03-01T14:30", `"2026-03-01T14:30:00Z"`, ""},
		{design.DateTime, "2026-03-01T14:30:15", `"2026-03-01T14:30:15Z"`, ""},
		{design.DateTime, "2026-03-01T14:30:00-05:00", `"2026-03-01T19:30:00Z"`, ""},
		{design.DateTime, "tomorrow", "", "invalid_format"},
		{design.Identifier, " 42 ", `"42"`, ""},
		{design.Text, " keep spaces ", `" keep spaces "`, ""},
		{design.Email, "ana@example.com", `"ana@example.com"`, ""},
		{design.PhoneNumber, "+44 (0)20 7946 0958", `"+44 (0)20 7946 0958"`, ""},
	}
	for _, c := range cases {
		got, err := payload.CheckForm(one(c.typ), map[string]string{"V": c.in}, payload.Limits{})
		if c.code != "" {
			if fc := fieldCodes(err); len(fc) != 1 || fc[0] != "V:"+c.code {
				t.Errorf("%s %q = %v, want V:%s", c.typ, c.in, err, c.code)
			}
			continue
		}
		if err != nil || string(got) != `{"V":`+c.want+`}` {
			t.Errorf("%s %q = %s, %v; want %s", c.typ, c.in, got, err, c.want)
		}
	}
}

func TestLongIntegerStaysExact(t *testing.T) {
	ev := design.Event{Name: "E", Parameters: []design.Parameter{{Name: "N", Type: design.LongInteger, Mandatory: true}}}
	const n = 9007199254740993 // 2^53+1: a float64 would read it as ...992
	got, err := payload.CheckJSON(ev, []byte(`{"N":9007199254740993}`), payload.Limits{})
	if err != nil || string(got) != `{"N":9007199254740993}` {
		t.Fatalf("CheckJSON = %s, %v", got, err)
	}
	vals, err := payload.Decode(ev, got)
	if err != nil || vals["N"] != n {
		t.Fatalf("Decode = %#v, %v; want %d", vals["N"], err, n)
	}
	again, err := payload.CheckValues(ev, vals, payload.Limits{})
	if err != nil || string(again) != string(got) {
		t.Fatalf("CheckValues(Decode) = %s, %v", again, err)
	}
}

func TestDecodeAndZeroValues(t *testing.T) {
	ev := design.Event{Name: "E"}
	for _, typ := range design.ParamTypes() {
		ev.Parameters = append(ev.Parameters, design.Parameter{Name: string(typ), Type: typ})
	}
	raw, err := payload.CheckJSON(ev, []byte(`{
		"Text": "t", "Integer": 3, "LongInteger": 9007199254740993, "Decimal": 2.5, "Boolean": true,
		"Date": "2026-03-01", "Time": "14:30", "DateTime": "2026-03-01T14:30:00+01:00",
		"Email": "a@b.co", "PhoneNumber": "12345", "Currency": 19.99, "Identifier": 7}`), payload.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	vals, err := payload.Decode(ev, raw)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"Text": "t", "Integer": 3, "LongInteger": 9007199254740993, "Decimal": 2.5, "Boolean": true,
		"Date": time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), "Time": "14:30:00",
		"DateTime": time.Date(2026, 3, 1, 13, 30, 0, 0, time.UTC),
		"Email":    "a@b.co", "PhoneNumber": "12345", "Currency": 19.99, "Identifier": "7",
	}
	zeros := payload.ZeroValues(ev)
	for k, w := range want {
		if g := vals[k]; g != w {
			t.Errorf("%s = %#v, want %#v", k, g, w)
		}
		if z := zeros[k]; z == nil || typeName(z) != typeName(w) {
			t.Errorf("ZeroValues[%s] = %#v, want the type of %#v", k, z, w)
		}
	}
	empty, err := payload.Decode(ev, json.RawMessage(`{}`))
	if err != nil || len(empty) != len(ev.Parameters) {
		t.Fatalf("Decode({}) = %v, %v; want every parameter", empty, err)
	}
	for k, z := range zeros {
		if empty[k] != z {
			t.Errorf("absent %s = %#v, want zero %#v", k, empty[k], z)
		}
	}
	if _, err := payload.Decode(ev, json.RawMessage(`{"Integer":"x"}`)); err == nil {
		t.Error("Decode accepted a string for an Integer")
	}
	if got, err := payload.Decode(ev, json.RawMessage(`{"Gone":1}`)); err != nil || len(got) != len(ev.Parameters) {
		t.Errorf("Decode with a removed parameter = %v, %v; want it ignored", got, err)
	}
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case int:
		return "int"
	case float64:
		return "float64"
	case bool:
		return "bool"
	case time.Time:
		return "time"
	}
	return "other"
}
