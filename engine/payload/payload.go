package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
)

// Limits bound one event's parameters (the payload rules of DESIGN.md).
// A zero or negative field means its default.
type Limits struct {
	// MaxPayloadBytes bounds the JSON object of parameters, in bytes, both
	// as sent and in canonical form; default 10240 (10 KB, ODC's limit).
	MaxPayloadBytes int
	// MaxTextLength bounds each Text parameter, in characters (Unicode
	// code points, so "é" counts once); default 2000 (ODC's limit).
	MaxTextLength int
}

// DefaultLimits returns ODC's limits: 10 KB per payload, 2,000 characters
// per Text.
func DefaultLimits() Limits {
	return Limits{MaxPayloadBytes: 10240, MaxTextLength: 2000}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxPayloadBytes <= 0 {
		l.MaxPayloadBytes = d.MaxPayloadBytes
	}
	if l.MaxTextLength <= 0 {
		l.MaxTextLength = d.MaxTextLength
	}
	return l
}

// CheckJSON checks raw, a JSON object of ev's parameters, and returns its
// canonical form: a compact object with the parameters in ev's order,
// absent optional ones left out, each value in its type's canonical form
// (see Decode). null counts as absent, and so does an empty or blank
// string for any type but Text (a cleared field, or Decode's value for an
// absent parameter); for a mandatory parameter either is "required".
//
// A raw longer than lim.MaxPayloadBytes is refused before it is parsed,
// with a *fault.Error of kind fault.ErrTooLarge (code "payload_too_large");
// so is a canonical form over the limit. Otherwise every mistake is
// reported at once as a fault.List of ErrInvalid *fault.Error, in ev's
// parameter order and then unknown names sorted, each with Field the
// parameter's name and one of the codes "malformed" (not one JSON object,
// Field ""; or a name sent twice), "unknown_parameter", "required", "wrong_type", "out_of_range",
// "invalid_format" or "text_too_long".
func CheckJSON(ev design.Event, raw []byte, lim Limits) (json.RawMessage, error) {
	lim = lim.withDefaults()
	if len(raw) > lim.MaxPayloadBytes {
		return nil, tooLarge(len(raw), lim)
	}
	if !utf8.Valid(raw) {
		// The JSON decoder would quietly replace the bad bytes with
		// U+FFFD; the same bytes in a form are refused, so they are here.
		name := notUTF8(raw)
		return nil, fault.List{fault.Field(name, "invalid_format", fmt.Sprintf("the value of %s holds bytes that are not UTF-8 text; send text encoded as UTF-8", strconv.Quote(name)))}
	}
	vals, dups, err := decodeObject(raw)
	if err != nil {
		return nil, fault.List{fault.Field("", "malformed", fmt.Sprintf("the parameters must be one JSON object such as {\"Quantity\": 3}: %v", err))}
	}
	return check(ev, lim, len(vals), func(p design.Parameter) (value, bool) {
		x, ok := vals[p.Name]
		if !ok || x == nil {
			return value{}, false
		}
		return jsonValue(x), true
	}, func(yield func(string)) {
		for name := range vals {
			yield(name)
		}
	}, dups)
}

// CheckValues checks Go values of ev's parameters, by name, with the rules
// and results of CheckJSON (the size is checked on the canonical form).
// A value may be a string, bool, any integer or float kind, json.Number or
// time.Time; nil counts as absent, as does the zero time.Time for a Date
// or DateTime (what Decode gives an absent one). Floats are read as the decimal they
// stand for, rounded for a Currency to MaxCurrencyScale places, so
// Amount*1.2 computed in a flow becomes a proper amount.
func CheckValues(ev design.Event, vals map[string]any, lim Limits) (json.RawMessage, error) {
	lim = lim.withDefaults()
	return check(ev, lim, len(vals), func(p design.Parameter) (value, bool) {
		x, ok := vals[p.Name]
		if !ok || x == nil {
			return value{}, false
		}
		return goValue(x), true
	}, func(yield func(string)) {
		for name := range vals {
			yield(name)
		}
	}, nil)
}

// CheckForm checks the strings of a browser form with the rules and
// results of CheckJSON (the size is checked on the canonical form). An
// empty (or, but for Text, blank) value means absent. Numbers are read from
// their text ("+3", "007" and ".5" are fine); a Boolean is "true", "on" or
// "1", or "false", "off" or "0" (an unchecked checkbox sends nothing, so a
// mandatory Boolean needs a select or a hidden "false" input); a DateTime
// may also be a datetime-local value such as "2026-03-01T14:30", read as
// UTC.
func CheckForm(ev design.Event, form map[string]string, lim Limits) (json.RawMessage, error) {
	lim = lim.withDefaults()
	return check(ev, lim, len(form), func(p design.Parameter) (value, bool) {
		s, ok := form[p.Name]
		if !ok || s == "" {
			return value{}, false
		}
		return value{kind: kString, s: s, form: true}, true
	}, func(yield func(string)) {
		for name := range form {
			yield(name)
		}
	}, nil)
}

// check runs the rules over ev's parameters, reading each with get, and
// refuses the names names yields that ev lacks and the names in dups (sent
// more than once).
func check(ev design.Event, lim Limits, n int, get func(design.Parameter) (value, bool), names func(func(string)), dups map[string]bool) (json.RawMessage, error) {
	var errs fault.List
	// The members' parts, joined once their size is known: a growing
	// buffer copied a ~1 KB payload four or five times.
	var partsBuf [32]string
	parts, size := partsBuf[:0], len("{}")
	known := 0
	for _, p := range ev.Parameters {
		if dups[p.Name] {
			errs = append(errs, fault.Field(p.Name, "malformed", fmt.Sprintf("%s appears more than once; send each parameter once", p.Name)))
			continue
		}
		v, ok := get(p)
		if ok {
			known++
			ok = !blank(p, v)
		}
		if !ok {
			if p.Mandatory {
				errs = append(errs, fault.Field(p.Name, "required", fmt.Sprintf("%s is mandatory; send a value of type %s", p.Name, p.Type)))
			}
			continue
		}
		js, err := canon(p, v, lim)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		name := quote(p.Name)
		parts = append(parts, name, js)
		size += len(name) + len(":") + len(js) + len(",")
	}
	if n > known {
		errs = append(errs, unknown(ev, names)...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	out := make([]byte, 0, size)
	out = append(out, '{')
	for i := 0; i < len(parts); i += 2 {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(append(append(out, parts[i]...), ':'), parts[i+1]...)
	}
	out = append(out, '}')
	if len(out) > lim.MaxPayloadBytes {
		return nil, tooLarge(len(out), lim)
	}
	return json.RawMessage(out), nil
}

// blank reports whether v stands for no value: an empty or blank string
// for any type but Text, or the zero time.Time for a Date or DateTime. A
// cleared form field, a JSON client's "" and Decode's value for an absent
// parameter all mean "not given", never a malformed value.
func blank(p design.Parameter, v value) bool {
	switch v.kind {
	case kString:
		return p.Type != design.Text && strings.TrimSpace(v.s) == ""
	case kTime:
		return (p.Type == design.Date || p.Type == design.DateTime) && v.t.IsZero()
	}
	return false
}

// unknown refuses every name ev has no parameter for, sorted.
func unknown(ev design.Event, names func(func(string))) fault.List {
	var bad []string
	names(func(name string) {
		if _, ok := ev.Param(name); !ok {
			bad = append(bad, name)
		}
	})
	sort.Strings(bad)
	var errs fault.List
	for _, name := range bad {
		msg := fmt.Sprintf("%s has no parameter %s", ev.Name, show(name))
		if p, ok := closest(ev, name); ok {
			msg += fmt.Sprintf("; did you mean %s? (names are case-sensitive)", p)
		} else {
			msg += "; remove it" + knownNames(ev)
		}
		errs = append(errs, fault.Field(name, "unknown_parameter", msg))
	}
	return errs
}

// closest finds the parameter whose name differs from name only in case.
func closest(ev design.Event, name string) (string, bool) {
	for _, p := range ev.Parameters {
		if strings.EqualFold(p.Name, name) {
			return p.Name, true
		}
	}
	return "", false
}

func knownNames(ev design.Event) string {
	if len(ev.Parameters) == 0 {
		return " (the event has no parameters)"
	}
	names := make([]string, len(ev.Parameters))
	for i, p := range ev.Parameters {
		names[i] = p.Name
	}
	return " (the parameters are " + strings.Join(names, ", ") + ")"
}

func tooLarge(n int, lim Limits) *fault.Error {
	return fault.New(fault.ErrTooLarge, "payload_too_large", fmt.Sprintf("the payload is %d bytes; the limit is %d bytes, so send shorter or fewer parameters (large data belongs elsewhere, referenced by an Identifier)", n, lim.MaxPayloadBytes))
}

// decodeObject reads one JSON object, keeping numbers exact, and reports
// the names that appear more than once.
// notUTF8 names the first parameter of a JSON object whose name or value
// holds bytes that are not UTF-8 ("" when none can be told apart, as in a
// body that is not an object).
func notUTF8(raw []byte) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return ""
	}
	// The name's raw bytes are read from the input, since Token has
	// already replaced its bad bytes.
	for dec.More() {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		name, _ := tok.(string)
		rawName := raw[start:dec.InputOffset()]
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return ""
		}
		if !utf8.Valid(rawName) || !utf8.Valid(v) {
			return name
		}
	}
	return ""
}

func decodeObject(raw []byte) (map[string]any, map[string]bool, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, errors.New("the body is empty (send {} for no parameters)")
		}
		return nil, nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, fmt.Errorf("got %s", describeToken(tok))
	}
	vals := map[string]any{}
	var dups map[string]bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		name, _ := tok.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		if _, seen := vals[name]; seen {
			if dups == nil {
				dups = map[string]bool{}
			}
			dups[name] = true
		}
		vals[name] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, nil, errors.New("there is more after the object; send exactly one object")
	}
	return vals, dups, nil
}

func describeToken(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			return "a list"
		}
		return string(t)
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%v", tok)
}

// jsonValue wraps a value decoded with UseNumber.
func jsonValue(x any) value {
	switch t := x.(type) {
	case string:
		return value{kind: kString, s: t}
	case json.Number:
		return value{kind: kNumber, s: string(t)}
	case bool:
		return value{kind: kBool, b: t}
	case []any:
		return value{kind: kOther, desc: "a list"}
	case map[string]any:
		return value{kind: kOther, desc: "an object"}
	}
	return value{kind: kOther, desc: fmt.Sprintf("%T", x)}
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	durationType = reflect.TypeFor[time.Duration]()
)

// goValue wraps a Go value. Named types (type Sku string) count as their
// underlying kind, except time.Duration, which is no parameter's type.
func goValue(x any) value {
	switch t := x.(type) {
	case string:
		return value{kind: kString, s: t}
	case bool:
		return value{kind: kBool, b: t}
	case json.Number:
		return value{kind: kNumber, s: string(t)}
	case time.Time:
		return value{kind: kTime, t: t}
	case float64:
		return floatValue(t, 64)
	case float32:
		return floatValue(float64(t), 32)
	}
	rv := reflect.ValueOf(x)
	if rv.Type() == durationType {
		return value{kind: kOther, desc: fmt.Sprintf("the duration %v (time.Duration)", x)}
	}
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		s := strconv.FormatInt(rv.Int(), 10)
		return value{kind: kNumber, s: s}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		s := strconv.FormatUint(rv.Uint(), 10)
		return value{kind: kNumber, s: s}
	case reflect.Float32:
		return floatValue(rv.Float(), 32)
	case reflect.Float64:
		return floatValue(rv.Float(), 64)
	case reflect.String:
		return value{kind: kString, s: rv.String()}
	case reflect.Bool:
		return value{kind: kBool, b: rv.Bool()}
	}
	if rv.Type().ConvertibleTo(timeType) && rv.Kind() == reflect.Struct {
		t := rv.Convert(timeType).Interface().(time.Time)
		return value{kind: kTime, t: t}
	}
	return value{kind: kOther, desc: fmt.Sprintf("a value of Go type %T", x)}
}

func floatValue(f float64, bits int) value {
	return value{kind: kFloat, f: f, bits: bits}
}

// show quotes s for a message, shortened when long.
func show(s string) string { return strconv.Quote(clip(s)) }

// clip shortens s to 40 characters for a message.
func clip(s string) string {
	const keep = 40
	if utf8.RuneCountInString(s) <= keep {
		return s
	}
	r := []rune(s)
	return string(r[:keep]) + "…"
}

// Decode turns canonical JSON of ev's parameters (as the Check functions
// return) into Go values for expressions and Go handlers: Text, Email,
// PhoneNumber, Identifier and Time become string; Integer and LongInteger
// int (64 bits on the platforms the engine is built for); Decimal and Currency float64; Boolean bool; Date and DateTime
// time.Time in UTC (a Date at midnight). Every parameter of ev gets an
// entry: absent optional ones hold their type's zero value, as ZeroValues.
// Names ev no longer has (the design changed since the occurrence) are
// ignored; a value that does not fit its parameter's type is an error.
func Decode(ev design.Event, raw json.RawMessage) (map[string]any, error) {
	out := ZeroValues(ev)
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return out, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var vals map[string]any
	if err := dec.Decode(&vals); err != nil {
		return nil, fmt.Errorf("decode %s parameters: %w", ev.Name, err)
	}
	for _, p := range ev.Parameters {
		x, ok := vals[p.Name]
		if !ok || x == nil {
			continue
		}
		v, err := decodeValue(p, x)
		if err != nil {
			return nil, fmt.Errorf("decode %s parameter %s (%s): %w", ev.Name, p.Name, p.Type, err)
		}
		out[p.Name] = v
	}
	return out, nil
}

func decodeValue(p design.Parameter, x any) (any, error) {
	switch p.Type {
	case design.Text, design.Email, design.PhoneNumber, design.Identifier, design.Time:
		if s, ok := x.(string); ok {
			return s, nil
		}
		if n, ok := x.(json.Number); ok && p.Type == design.Identifier {
			return string(n), nil
		}
	case design.Integer, design.LongInteger:
		if n, ok := x.(json.Number); ok {
			i, err := strconv.ParseInt(string(n), 10, 64)
			if err != nil || int64(int(i)) != i {
				return nil, fmt.Errorf("%s is not a whole number an int holds", n)
			}
			return int(i), nil
		}
	case design.Decimal, design.Currency:
		if n, ok := x.(json.Number); ok {
			f, err := strconv.ParseFloat(string(n), 64)
			if err != nil || math.IsInf(f, 0) {
				return nil, fmt.Errorf("%s is not a number a float64 holds", n)
			}
			return f, nil
		}
	case design.Boolean:
		if b, ok := x.(bool); ok {
			return b, nil
		}
	case design.Date:
		if s, ok := x.(string); ok {
			return time.Parse(dateLayout, s)
		}
	case design.DateTime:
		if s, ok := x.(string); ok {
			t, err := time.Parse(time.RFC3339Nano, s)
			return t.UTC(), err
		}
	default:
		return nil, fmt.Errorf("unknown type %q", p.Type)
	}
	return nil, fmt.Errorf("got %s", jsonValue(x).describe())
}

// ZeroValues returns a zero value of the Go type Decode gives each of ev's
// parameters, keyed by name, so expressions can be type-checked before any
// occurrence exists.
func ZeroValues(ev design.Event) map[string]any {
	out := make(map[string]any, len(ev.Parameters))
	for _, p := range ev.Parameters {
		out[p.Name] = Zero(p.Type)
	}
	return out
}

// Zero returns the zero value of the Go type Decode gives a parameter of
// type t (nil for an unknown type).
func Zero(t design.ParamType) any {
	switch t {
	case design.Text, design.Email, design.PhoneNumber, design.Identifier, design.Time:
		return ""
	case design.Integer, design.LongInteger:
		return 0
	case design.Decimal, design.Currency:
		return 0.0
	case design.Boolean:
		return false
	case design.Date, design.DateTime:
		return time.Time{}
	}
	return nil
}
