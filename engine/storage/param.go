package storage

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// ParamOp is how a ParamCond compares a parameter's value.
type ParamOp string

// The comparisons a payload search offers: exact match and the two ends
// of a range (both inclusive).
const (
	ParamEq ParamOp = "eq"
	ParamGE ParamOp = "ge"
	ParamLE ParamOp = "le"
)

// ParamCond selects occurrences by one parameter's value (payload
// search). Value is a key as ParamKey makes it (int64, float64 or
// string), already type-checked by the engine against the parameter's
// type. An occurrence without the parameter (or with it null) never
// matches. Numbers compare with numbers and text with text (byte order);
// a value of the other class never matches a range.
type ParamCond struct {
	Name  string
	Op    ParamOp
	Value any
	// EventIDs, when set, restricts the condition to occurrences of these
	// events: the engine passes the events whose parameter Name has the
	// type the value was checked against, so a backend can read its index
	// by (event, name, value) instead of scanning every event's values.
	EventIDs []int64
}

// ParamEntry is one parameter of a stored occurrence as the payload
// search index keeps it.
type ParamEntry struct {
	Name string
	Key  any
}

// dateTimeFraction is how many digits the fraction of a DateTime key has:
// a canonical DateTime drops trailing zeros ("…:00Z", "…:00.5Z"), which
// would not sort in time order as text ('.' < 'Z'), so keys pad it to
// nanoseconds.
const dateTimeFraction = 9

// ParamKey returns the index key of one JSON parameter value (a string,
// json.Number, float64, int64, int or bool as decoded), and false for a
// value the index skips (null, lists, objects). Whole numbers become
// int64, other numbers float64, booleans 1 and 0, and strings stay text,
// except that a string shaped like a UTC RFC 3339 time (a canonical
// DateTime) gets its fraction padded to nine digits so such keys sort in
// time order. The SQLite backfill of migration 11 applies the same rule in
// SQL; both must change together.
func ParamKey(v any) (any, bool) {
	switch x := v.(type) {
	case string:
		return textKey(x), true
	case json.Number:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return n, true
		}
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return nil, false
		}
		return f, true
	case float64:
		return x, true
	case int64:
		return x, true
	case int:
		return int64(x), true
	case bool:
		if x {
			return int64(1), true
		}
		return int64(0), true
	}
	return nil, false
}

// textKey pads the fraction of an RFC 3339 UTC time; other text is its
// own key.
func textKey(s string) string {
	if len(s) < 20 || s[len(s)-1] != 'Z' || !timeShaped(s[:19]) {
		return s
	}
	frac := ""
	if s[19] == '.' {
		frac = s[20 : len(s)-1]
	}
	frac += "000000000"
	return s[:19] + "." + frac[:dateTimeFraction] + "Z"
}

// TimeKeyed reports whether key (a text key, as ParamKey makes it) is a
// padded RFC 3339 UTC time, whose stored JSON form may differ from it.
func TimeKeyed(key string) bool {
	return len(key) == 30 && key[19] == '.' && key[29] == 'Z' && timeShaped(key[:19])
}

// timeShaped reports whether s is shaped as 0000-00-00T00:00:00 (digits
// where the zeros are), the GLOB of migration 11.
func timeShaped(s string) bool {
	const shape = "0000-00-00T00:00:00"
	for i := range len(shape) {
		if shape[i] == '0' {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		} else if s[i] != shape[i] {
			return false
		}
	}
	return true
}

// keyClass orders key classes as SQLite does: numbers before text.
func keyClass(k any) int {
	switch k.(type) {
	case int64, float64:
		return 1
	case string:
		return 2
	}
	return 0
}

// CompareKeys orders two keys as SQLite orders the index's values:
// numbers (compared by value) before text (compared by bytes).
func CompareKeys(a, b any) int {
	ca, cb := keyClass(a), keyClass(b)
	if ca != cb {
		return ca - cb
	}
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			return cmpOrdered(x, y)
		}
		return cmpOrdered(float64(x), b.(float64))
	case float64:
		if y, ok := b.(int64); ok {
			return cmpOrdered(x, float64(y))
		}
		return cmpOrdered(x, b.(float64))
	case string:
		return cmpOrdered(x, b.(string))
	}
	return 0
}

func cmpOrdered[T int64 | float64 | string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Holds reports whether key (of parameter c.Name) satisfies c; a key of
// another class than c.Value never does.
func (c ParamCond) Holds(key any) bool {
	if keyClass(key) != keyClass(c.Value) {
		return false
	}
	n := CompareKeys(key, c.Value)
	switch c.Op {
	case ParamEq:
		return n == 0
	case ParamGE:
		return n >= 0
	case ParamLE:
		return n <= 0
	}
	return false
}

// Validate checks what a backend relies on: a name, a known op and a key
// value.
func (c ParamCond) Validate() error {
	if c.Name == "" {
		return fmt.Errorf("payload condition without a parameter name")
	}
	switch c.Op {
	case ParamEq, ParamGE, ParamLE:
	default:
		return fmt.Errorf("payload condition on %s: unknown op %q", c.Name, c.Op)
	}
	if keyClass(c.Value) == 0 {
		return fmt.Errorf("payload condition on %s: value %v (%T) is not a key (int64, float64 or string)", c.Name, c.Value, c.Value)
	}
	return nil
}

// OccurrenceMatches reports whether an occurrence of event eventID with
// these index entries satisfies every condition: for backends that
// filter in memory.
func OccurrenceMatches(eventID int64, entries []ParamEntry, conds []ParamCond) bool {
	for _, c := range conds {
		if len(c.EventIDs) > 0 && !containsID(c.EventIDs, eventID) {
			return false
		}
		ok := false
		for _, e := range entries {
			if e.Name == c.Name {
				ok = c.Holds(e.Key)
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
