package payload

import (
	"math"
	"strconv"
	"strings"
)

// decimal is an exact decimal number: digits × 10^exp, with digits free of
// leading and trailing zeros ("" for zero). Numbers are kept in this form,
// never as float64, so a LongInteger such as 9007199254740993 or a Currency
// amount survives checking unchanged.
type decimal struct {
	neg    bool
	digits string
	exp    int
}

// maxExponent bounds the exponent accepted in a number literal. Anything
// beyond it is out of every parameter type's range, and refusing it early
// keeps a literal such as 1e999999999 from allocating a billion zeros.
const maxExponent = 400

// parseDecimal reads a number literal. Strict is JSON's grammar; lenient
// (browser forms) also takes a leading +, leading zeros, and a missing
// integer or fraction part ("0.5" written ".5", "5." for 5). ok is false for
// anything else; outOfRange is true for a literal whose exponent is beyond
// every type's range, and d is then a stand-in just as far out.
func parseDecimal(s string, lenient bool) (d decimal, ok, outOfRange bool) {
	i := 0
	if i < len(s) && (s[i] == '-' || (lenient && s[i] == '+')) {
		d.neg = s[i] == '-'
		i++
	}
	intStart := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intPart := s[intStart:i]
	if !lenient && (len(intPart) == 0 || (len(intPart) > 1 && intPart[0] == '0')) {
		return decimal{}, false, false
	}
	var fracPart string
	if i < len(s) && s[i] == '.' {
		i++
		fracStart := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		fracPart = s[fracStart:i]
		if !lenient && fracPart == "" {
			return decimal{}, false, false
		}
	}
	if intPart == "" && fracPart == "" {
		return decimal{}, false, false
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		expStart := i
		for i < len(s) && isDigit(s[i]) {
			// Saturate rather than overflow; anything past maxExponent is
			// judged below without further arithmetic.
			if exp <= 1e6 {
				exp = exp*10 + int(s[i]-'0')
			}
			i++
		}
		if i == expStart {
			return decimal{}, false, false
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(s) {
		return decimal{}, false, false
	}
	digits := strings.TrimLeft(intPart+fracPart, "0")
	exp -= len(fracPart)
	trimmed := strings.TrimRight(digits, "0")
	exp += len(digits) - len(trimmed)
	digits = trimmed
	if digits == "" {
		return decimal{}, true, false
	}
	d.digits = digits
	d.exp = exp
	// The magnitude is about 10^(len(digits)+exp); the smallest step is
	// 10^exp. Either far out of bounds means no type can hold the number.
	// Such a number is replaced by a stand-in just as far out, which every
	// type refuses with the right reason: too large, or too many places.
	if mag := len(digits) + exp; mag > maxExponent {
		return decimal{neg: d.neg, digits: "1", exp: maxExponent}, true, true
	}
	if exp < -maxExponent {
		return decimal{neg: d.neg, digits: "1", exp: -maxExponent - 1}, true, true
	}
	return d, true, false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isZero reports whether d is 0.
func (d decimal) isZero() bool { return d.digits == "" }

// intDigits is the number of digits before the decimal point.
func (d decimal) intDigits() int { return max(len(d.digits)+d.exp, 0) }

// scale is the number of decimal places.
func (d decimal) scale() int { return max(-d.exp, 0) }

// String is the canonical literal: no exponent, no leading or trailing
// zeros, "0" for zero (never "-0").
func (d decimal) String() string {
	if d.isZero() {
		return "0"
	}
	var b strings.Builder
	if d.neg {
		b.WriteByte('-')
	}
	switch {
	case d.exp >= 0:
		b.WriteString(d.digits)
		b.WriteString(strings.Repeat("0", d.exp))
	case -d.exp >= len(d.digits):
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -d.exp-len(d.digits)))
		b.WriteString(d.digits)
	default:
		cut := len(d.digits) + d.exp
		b.WriteString(d.digits[:cut])
		b.WriteByte('.')
		b.WriteString(d.digits[cut:])
	}
	return b.String()
}

// int64 returns d as an int64 when it is a whole number that fits; whole
// reports whether it is a whole number at all.
func (d decimal) int64() (n int64, whole, fits bool) {
	if d.isZero() {
		return 0, true, true
	}
	if d.exp < 0 {
		return 0, false, false
	}
	if len(d.digits)+d.exp > 19 {
		return 0, true, false
	}
	n, err := strconv.ParseInt(d.String(), 10, 64)
	return n, true, err == nil
}

// floatDecimal turns a binary float into the decimal it stands for: the
// shortest literal that reads back as f, rounded to at most maxScale
// decimal places (a float cannot hold a decimal fraction exactly, so
// rounding to the type's scale is the faithful reading; 0.1*3 is 0.3).
// ok is false for NaN and infinities; outOfRange as for parseDecimal.
func floatDecimal(f float64, bits, maxScale int) (d decimal, ok, outOfRange bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return decimal{}, false, false
	}
	if math.Abs(f) >= 1e300 {
		return decimal{neg: f < 0, digits: "1", exp: maxExponent}, true, true
	}
	s := strconv.FormatFloat(f, 'f', -1, bits)
	if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i-1 > maxScale {
		s = strconv.FormatFloat(f, 'f', maxScale, bits)
	}
	return parseDecimal(s, true)
}
