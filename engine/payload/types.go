package payload

import (
	"fmt"
	"math"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
)

// The bounds of the types, with their reasons.
const (
	// MaxIdentifierLength bounds an Identifier, in characters: record ids
	// are short, and 255 is what a database key column usually allows.
	MaxIdentifierLength = 255
	// MaxEmailLength is the longest address SMTP can carry (RFC 5321).
	MaxEmailLength = 254
	// MinPhoneDigits and MaxPhoneDigits bound the digits of a PhoneNumber:
	// fewer than 5 is no phone number anywhere; E.164 allows 15, and 20
	// leaves room for a written trunk prefix such as "(0)".
	MinPhoneDigits = 5
	MaxPhoneDigits = 20
	// MaxDecimalDigits bounds a Decimal or Currency: at most 28 digits
	// before the point and 28 significant digits in all, what .NET's
	// decimal (ODC's Decimal and Currency) holds exactly.
	MaxDecimalDigits = 28
	// MaxDecimalScale is the most decimal places a Decimal keeps.
	MaxDecimalScale = 28
	// MaxCurrencyScale is the most decimal places a Currency keeps: 8, as
	// ODC's Currency. A literal with more is refused (the sender would
	// lose precision without knowing); a float from Go or a flow is
	// rounded to 8 places, since a float only approximates a decimal.
	MaxCurrencyScale = 8
)

// Canonical layouts of the date and time types.
const (
	dateLayout     = "2006-01-02"
	timeLayout     = "15:04:05"
	shortTime      = "15:04"
	dateTimeLayout = time.RFC3339Nano
)

// kind is what a value arrived as, whatever its source.
type kind int

const (
	kString kind = iota // a string (JSON string, Go string, any form value)
	kNumber             // a number literal (JSON number, Go integer, json.Number)
	kFloat              // a binary float from Go
	kBool
	kTime  // a Go time.Time
	kOther // anything no type accepts: lists, objects, other Go types
)

// value is one parameter's value before checking, with what a message
// shows of it.
type value struct {
	kind kind
	s    string // kString, kNumber
	f    float64
	bits int // of f: 32 or 64
	b    bool
	t    time.Time
	// form marks a browser form value: numbers, booleans and date-times
	// are read from their text with a little more leniency.
	form bool
	// desc is how a message shows a value of kOther (`a list`); the
	// other kinds are described from what they hold, only when a message
	// needs it (describe), so a valid trigger pays nothing for it.
	desc string
}

// describe is how a message shows the value: `"three"`, `3.5`, `a list`.
func (v value) describe() string {
	if v.desc != "" {
		return v.desc
	}
	switch v.kind {
	case kString:
		return show(v.s)
	case kNumber:
		return clip(v.s)
	case kFloat:
		return strconv.FormatFloat(v.f, 'g', -1, v.bits)
	case kBool:
		return strconv.FormatBool(v.b)
	case kTime:
		return v.t.Format(time.RFC3339Nano)
	}
	return "a value"
}

// canon checks v against p and returns the canonical JSON of the value.
func canon(p design.Parameter, v value, lim Limits) (string, *fault.Error) {
	switch p.Type {
	case design.Text:
		return checkText(p, v, lim)
	case design.Email:
		return checkEmail(p, v)
	case design.PhoneNumber:
		return checkPhone(p, v)
	case design.Identifier:
		return checkIdentifier(p, v)
	case design.Integer, design.LongInteger:
		return checkInteger(p, v)
	case design.Decimal, design.Currency:
		return checkDecimal(p, v)
	case design.Boolean:
		return checkBool(p, v)
	case design.Date:
		return checkDate(p, v)
	case design.Time:
		return checkTime(p, v)
	case design.DateTime:
		return checkDateTime(p, v)
	}
	return "", fault.Field(p.Name, "wrong_type", fmt.Sprintf("%s has type %q, which no value fits; fix the event's design", p.Name, p.Type))
}

func wrongType(p design.Parameter, want string, v value) *fault.Error {
	msg := fmt.Sprintf("%s must be %s; got %s", p.Name, want, v.describe())
	if v.kind == kString && !v.form {
		switch p.Type {
		case design.Integer, design.LongInteger, design.Decimal, design.Currency:
			if _, ok, _ := parseDecimal(strings.TrimSpace(v.s), false); ok {
				msg += " (send the number without quotes)"
			}
		case design.Boolean:
			if s := strings.TrimSpace(v.s); s == "true" || s == "false" {
				msg += " (send it without quotes)"
			}
		}
	}
	return fault.Field(p.Name, "wrong_type", msg)
}

func invalidFormat(p design.Parameter, want string, v value) *fault.Error {
	return fault.Field(p.Name, "invalid_format", fmt.Sprintf("%s must be %s; got %s", p.Name, want, v.describe()))
}

func outOfRange(p design.Parameter, msg string) *fault.Error {
	return fault.Field(p.Name, "out_of_range", p.Name+" "+msg)
}

// checkString accepts a valid UTF-8 string; JSON input is valid already
// (the decoder replaces bad bytes), Go and form input may not be.
func checkString(p design.Parameter, want string, v value) (string, *fault.Error) {
	if v.kind != kString {
		return "", wrongType(p, want, v)
	}
	if !utf8.ValidString(v.s) {
		return "", invalidFormat(p, want+" in valid UTF-8", value{desc: "bytes that are not UTF-8 text"})
	}
	return v.s, nil
}

func checkText(p design.Parameter, v value, lim Limits) (string, *fault.Error) {
	s, err := checkString(p, `text such as "hello"`, v)
	if err != nil {
		return "", err
	}
	if n := utf8.RuneCountInString(s); n > lim.MaxTextLength {
		return "", fault.Field(p.Name, "text_too_long", fmt.Sprintf("%s is %d characters; the limit is %d, so shorten it by %d", p.Name, n, lim.MaxTextLength, n-lim.MaxTextLength))
	}
	return quote(s), nil
}

func checkEmail(p design.Parameter, v value) (string, *fault.Error) {
	const want = `an email address such as "ana@example.com"`
	s, err := checkString(p, want, v)
	if err != nil {
		return "", err
	}
	s = strings.TrimSpace(s)
	if len(s) > MaxEmailLength {
		return "", outOfRange(p, fmt.Sprintf("is %d characters; an email address is at most %d", len(s), MaxEmailLength))
	}
	a, perr := mail.ParseAddress(s)
	at := strings.LastIndexByte(s, '@')
	if perr != nil || a.Name != "" || a.Address != s || at < 1 {
		return "", invalidFormat(p, want, v)
	}
	domain := s[at+1:]
	if dot := strings.IndexByte(domain, '.'); dot <= 0 || strings.HasSuffix(domain, ".") {
		return "", invalidFormat(p, want+" (the domain needs a dot)", v)
	}
	return quote(s), nil
}

func checkPhone(p design.Parameter, v value) (string, *fault.Error) {
	want := fmt.Sprintf(`a phone number such as "+1 555 010 9999" (digits, spaces, + - ( ), %d to %d digits)`, MinPhoneDigits, MaxPhoneDigits)
	s, err := checkString(p, want, v)
	if err != nil {
		return "", err
	}
	s = strings.TrimSpace(s)
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c):
			digits++
		case c == ' ' || c == '-' || c == '(' || c == ')':
		case c == '+' && i == 0:
		default:
			return "", invalidFormat(p, want, v)
		}
	}
	if digits < MinPhoneDigits || digits > MaxPhoneDigits {
		return "", invalidFormat(p, want, v)
	}
	return quote(s), nil
}

func checkIdentifier(p design.Parameter, v value) (string, *fault.Error) {
	const want = `an identifier such as "A-1001" or 1001`
	if v.kind == kNumber || v.kind == kFloat {
		d, ok := numberOf(v, 0)
		if n, whole, fits := d.int64(); ok && whole && fits && !fraction(v) {
			return quote(strconv.FormatInt(n, 10)), nil
		}
		return "", wrongType(p, want+" (a whole number when numeric)", v)
	}
	s, err := checkString(p, want, v)
	if err != nil {
		return "", err
	}
	s = strings.TrimSpace(s)
	if n := utf8.RuneCountInString(s); n > MaxIdentifierLength {
		return "", outOfRange(p, fmt.Sprintf("is %d characters; an identifier is at most %d", n, MaxIdentifierLength))
	}
	return quote(s), nil
}

// numberOf reads a number value (literal, form text or float) as a decimal
// rounded, for a float, to maxScale places. ok is false when v is no number.
func numberOf(v value, maxScale int) (decimal, bool) {
	var d decimal
	var ok bool
	switch {
	case v.kind == kNumber:
		d, ok, _ = parseDecimal(v.s, false)
	case v.kind == kString && v.form:
		d, ok, _ = parseDecimal(strings.TrimSpace(v.s), true)
	case v.kind == kFloat:
		d, ok, _ = floatDecimal(v.f, v.bits, maxScale)
	}
	return d, ok
}

func checkInteger(p design.Parameter, v value) (string, *fault.Error) {
	lo, hi, bigger := int64(-1<<31), int64(1<<31-1), " (use a LongInteger parameter for larger numbers)"
	if p.Type == design.LongInteger {
		lo, hi, bigger = -1<<63, 1<<63-1, ""
	}
	want := "a whole number such as 3"
	d, ok := numberOf(v, 0)
	if !ok {
		if v.kind == kFloat {
			return "", outOfRange(p, fmt.Sprintf("is %s; use a finite number", v.describe()))
		}
		return "", wrongType(p, want, v)
	}
	n, whole, fits := d.int64()
	if !whole || fraction(v) {
		return "", wrongType(p, want, v)
	}
	if !fits || n < lo || n > hi {
		return "", outOfRange(p, fmt.Sprintf("is %s; %s %s is between %d and %d%s", v.describe(), article(p.Type), p.Type, lo, hi, bigger))
	}
	return strconv.FormatInt(n, 10), nil
}

// fraction reports whether v is a float with a fractional part, which
// numberOf would round away when reading it for a whole-number type.
func fraction(v value) bool { return v.kind == kFloat && math.Trunc(v.f) != v.f }

func checkDecimal(p design.Parameter, v value) (string, *fault.Error) {
	maxScale, want := MaxDecimalScale, "a number such as 2.5"
	if p.Type == design.Currency {
		maxScale, want = MaxCurrencyScale, "an amount such as 19.99"
	}
	d, ok := numberOf(v, maxScale)
	if !ok {
		if v.kind == kFloat {
			return "", outOfRange(p, fmt.Sprintf("is %s; use a finite number", v.describe()))
		}
		return "", wrongType(p, want, v)
	}
	if n := d.intDigits(); n > MaxDecimalDigits {
		return "", outOfRange(p, fmt.Sprintf("is %s, with %s digits before the point; %s %s has at most %d", v.describe(), count(n), article(p.Type), p.Type, MaxDecimalDigits))
	}
	if n := d.scale(); n > maxScale {
		return "", outOfRange(p, fmt.Sprintf("is %s, with %s decimal places; %s %s has at most %d, so round it", v.describe(), count(n), article(p.Type), p.Type, maxScale))
	}
	if n := len(d.digits); n > MaxDecimalDigits {
		return "", outOfRange(p, fmt.Sprintf("is %s, with %d significant digits; %s %s holds at most %d, so round it", v.describe(), n, article(p.Type), p.Type, MaxDecimalDigits))
	}
	return d.String(), nil
}

// count shows a number of digits, which for a stand-in of parseDecimal is
// only known to be past maxExponent.
func count(n int) string {
	if n > maxExponent {
		return fmt.Sprintf("more than %d", maxExponent)
	}
	return strconv.Itoa(n)
}

// article is "a" or "an" before the type's name.
func article(t design.ParamType) string {
	if strings.ContainsRune("AEIOU", rune(t[0])) {
		return "an"
	}
	return "a"
}

func checkBool(p design.Parameter, v value) (string, *fault.Error) {
	const want = "true or false"
	switch {
	case v.kind == kBool:
		return strconv.FormatBool(v.b), nil
	case v.kind == kString && v.form:
		switch strings.ToLower(strings.TrimSpace(v.s)) {
		case "true", "on", "1":
			return "true", nil
		case "false", "off", "0":
			return "false", nil
		}
	}
	return "", wrongType(p, want, v)
}

// dateString returns the text of a date or time value, trimmed, or refuses
// a value that is neither text nor a time.Time.
func dateString(p design.Parameter, want string, v value) (string, *fault.Error) {
	s, err := checkString(p, want, v)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(s), nil
}

// checkYear refuses a time whose year its canonical text cannot carry.
func checkYear(p design.Parameter, t time.Time, v value) *fault.Error {
	if y := t.Year(); y < 1 || y > 9999 {
		return outOfRange(p, fmt.Sprintf("is %s, in year %d; use a year from 0001 to 9999 (year 0000 does not exist in the calendar dates use)", v.describe(), y))
	}
	return nil
}

func checkDate(p design.Parameter, v value) (string, *fault.Error) {
	const want = `a date such as "2026-03-01" (YYYY-MM-DD)`
	if v.kind == kTime {
		if err := checkYear(p, v.t, v); err != nil {
			return "", err
		}
		return quote(v.t.Format(dateLayout)), nil
	}
	s, err := dateString(p, want, v)
	if err != nil {
		return "", err
	}
	t, perr := time.Parse(dateLayout, s)
	if perr != nil || len(s) != len(dateLayout) {
		return "", invalidFormat(p, want, v)
	}
	if err := checkYear(p, t, v); err != nil {
		return "", err
	}
	return quote(t.Format(dateLayout)), nil
}

func checkTime(p design.Parameter, v value) (string, *fault.Error) {
	const want = `a time of day such as "14:30" or "14:30:00" (24-hour HH:MM[:SS])`
	if v.kind == kTime {
		return quote(v.t.Format(timeLayout)), nil
	}
	s, err := dateString(p, want, v)
	if err != nil {
		return "", err
	}
	layout := timeLayout
	if len(s) == len(shortTime) {
		layout = shortTime
	}
	t, perr := time.Parse(layout, s)
	if perr != nil || len(s) != len(layout) {
		return "", invalidFormat(p, want, v)
	}
	return quote(t.Format(timeLayout)), nil
}

// formDateTimeLayouts are what a browser's datetime-local input sends: no
// zone, read as UTC.
var formDateTimeLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05"}

func checkDateTime(p design.Parameter, v value) (string, *fault.Error) {
	const want = `a date and time such as "2026-03-01T14:30:00Z" (RFC 3339, with Z or an offset such as +01:00)`
	t := v.t
	if v.kind != kTime {
		s, err := dateString(p, want, v)
		if err != nil {
			return "", err
		}
		var perr error
		t, perr = time.Parse(time.RFC3339Nano, s)
		if perr != nil && v.form {
			for _, l := range formDateTimeLayouts {
				if t, perr = time.Parse(l, s); perr == nil {
					break
				}
			}
		}
		if perr != nil {
			return "", invalidFormat(p, want, v)
		}
	}
	t = t.UTC()
	if err := checkYear(p, t, v); err != nil {
		return "", err
	}
	return quote(t.Format(dateTimeLayout)), nil
}

// quote writes s as a JSON string. Unlike json.Marshal it leaves <, > and &
// as they are: the canonical form is data, escaped where it is rendered.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b.WriteString(s[start:i])
			switch c {
			case '"', '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				fmt.Fprintf(&b, `\u%04x`, c)
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(s[start:i])
			b.WriteString(`\ufffd`)
			i += size
			start = i
			continue
		}
		// U+2028 and U+2029 are valid JSON but end lines in JavaScript.
		if r == '\u2028' || r == '\u2029' {
			b.WriteString(s[start:i])
			fmt.Fprintf(&b, `\u%04x`, r)
			i += size
			start = i
			continue
		}
		i += size
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
	return b.String()
}
