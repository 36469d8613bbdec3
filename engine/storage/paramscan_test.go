package storage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// paramKeysByDecoding is ParamKeys as it was, the object decoded into a
// map, except that it refuses text after the object (json.Decoder read
// one value and ignored the rest). The scan must give the same entries
// for every text.
func paramKeysByDecoding(raw json.RawMessage) []ParamEntry {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || string(raw) == "{}" || !json.Valid(raw) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var vals map[string]any
	if err := dec.Decode(&vals); err != nil {
		return nil
	}
	var out []ParamEntry
	for name, v := range vals {
		if k, ok := ParamKey(v); ok {
			out = append(out, ParamEntry{Name: name, Key: k})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func TestParamKeysMatchesDecoding(t *testing.T) {
	cases := []string{
		`{}`, ` { } `, `{"a":1}`, `{"b":"x","a":2.5,"c":true,"d":false,"e":null}`,
		`{"n":-0.5e+3,"m":12345678901234567890,"i":-7,"f":1E2}`,
		`{"s":"a\"b\\c\/d\u00e9\n\t","t":"\ud83d\ude00","u":"plain é"}`,
		`{"when":"2026-11-27T08:00:00Z","when2":"2026-11-27T08:00:00.5Z"}`,
		`{"o":{"x":[1,{"y":"}"}],"z":"]"},"a":[1,2,"[",{}],"k":"v"}`,
		`{"dup":1,"dup":"two"}`, `{"dup":1,"dup":null}`, `{"dup":null,"dup":3}`,
		"{\n\t\"a\" : 1 ,\r\n \"b\":\"c\" }",
		`{"long":"` + strings.Repeat("x", 500) + `"}`,
		`{"bad":"\xff\xfe"}`,
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		cases = append(cases, randomObject(r))
	}
	// Cut short or with a byte changed, an object is unreadable to both,
	// or still the same object to both.
	for _, c := range cases[:len(cases):len(cases)] {
		for range 3 {
			at := r.IntN(len(c))
			cases = append(cases, c[:at], c[:at]+string("x,:}]\\\"0e-"[r.IntN(10)])+c[at+1:])
		}
	}
	for _, c := range cases {
		got, want := ParamKeys(json.RawMessage(c)), paramKeysByDecoding(json.RawMessage(c))
		if len(got) == 0 && len(want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ParamKeys(%s)\n got %#v\nwant %#v", c, got, want)
		}
	}
}

// FuzzParamKeys compares the scan with decoding on any text (go test
// -fuzz FuzzParamKeys ./engine/storage/).
func FuzzParamKeys(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		f.Add(randomObject(r))
	}
	f.Fuzz(func(t *testing.T, c string) {
		got, want := ParamKeys(json.RawMessage(c)), paramKeysByDecoding(json.RawMessage(c))
		if (len(got) != 0 || len(want) != 0) && !reflect.DeepEqual(got, want) {
			t.Errorf("ParamKeys(%q)\n got %#v\nwant %#v", c, got, want)
		}
	})
}

func TestParamKeysRefusesWhatIsNotAnObject(t *testing.T) {
	for _, c := range []string{``, `   `, `null`, `[1,2]`, `"x"`, `{"a":1`, `{"a":1} trailing`, `{"a":}`, `{a:1}`, `{"a":1,}`, `{"a":01}`,
		`{"a":"unterminated}`, `{"a":"\x"}`, "{\"a\":\"tab\tinside\"}", `{"a":tru}`, `{"a":-}`, `{"a":1.}`, `{"a":1e}`, `{"a":[1,}`, `{"a":{"b"}}`} {
		if got := ParamKeys(json.RawMessage(c)); got != nil {
			t.Errorf("ParamKeys(%q) = %#v, want nil", c, got)
		}
	}
}

// randomObject is a JSON object of random members: every value kind,
// escapes, nesting and repeated names.
func randomObject(r *rand.Rand) string {
	names := []string{"a", "b", "Email", "Amount", "é", `q"uote`, "x\\y", "Paid"}
	var b strings.Builder
	b.WriteByte('{')
	for i := range r.IntN(7) {
		if i > 0 {
			b.WriteString(strings.Repeat(" ", r.IntN(2)) + ",")
		}
		name, _ := json.Marshal(names[r.IntN(len(names))])
		b.Write(name)
		b.WriteString(":" + randomValue(r, 2))
	}
	b.WriteByte('}')
	return b.String()
}

func randomValue(r *rand.Rand, depth int) string {
	switch k := r.IntN(9); {
	case k == 0:
		return "null"
	case k == 1:
		return fmt.Sprint(r.IntN(2) == 0)
	case k == 2:
		return fmt.Sprint(r.Int64N(1<<62) - 1<<61)
	case k == 3:
		return fmt.Sprintf("%g", r.NormFloat64()*1e6)
	case k == 4 && depth > 0:
		return "[" + randomValue(r, depth-1) + "," + randomValue(r, depth-1) + "]"
	case k == 5 && depth > 0:
		return `{"in":` + randomValue(r, depth-1) + `,"}":"{"}`
	default:
		texts := []string{"", "plain", "with \"quotes\"", "tab\tline\n", "ünïcødé", "2026-01-02T03:04:05.6Z", `back\slash`, "\u2028"}
		s, _ := json.Marshal(texts[r.IntN(len(texts))])
		return string(s)
	}
}

func BenchmarkParamKeys(b *testing.B) {
	raw := json.RawMessage(`{"Amount":2.99,"Comment":"fragile fragile fragile fragile fragile fragile fragile fragile ","Customer":"Customer 2","Email":"customer2@example.com","Items":"` + strings.Repeat("sku-0002-0 x1 @ 10.99 gift-wrapped, deliver to the side door; ", 8) + `","OrderId":"ord-2","Paid":true}`)
	b.Run("scan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ParamKeys(raw)
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			paramKeysByDecoding(raw)
		}
	})
}
