package storage

import (
	"cmp"
	"encoding/json"
	"slices"
	"unicode/utf8"
)

// ParamKeys returns the index entries of an occurrence's canonical
// parameters object, by name; nil for an empty or unreadable object (the
// engine stores only checked objects). It walks the object's members in
// place, checking the JSON as it goes, instead of decoding it into a map:
// the payload search index reads every stored payload, and decoding each
// was over a quarter of what the process allocated at saturation. Names
// and plain text values are slices of one copy of raw.
func ParamKeys(raw json.RawMessage) []ParamEntry {
	return ParamKeysText(string(raw))
}

// ParamKeysText is ParamKeys of the object's text held as a string (a
// row's column, say): names and plain text values are slices of text,
// with no copy.
func ParamKeysText(text string) []ParamEntry {
	m := members{s: text}
	if !m.eat('{') {
		return nil
	}
	out := make([]ParamEntry, 0, 8)
	if !m.eat('}') {
		for {
			name, ok := m.text()
			if !ok || !m.eat(':') {
				return nil
			}
			m.skipSpace()
			v, ok := m.value()
			if !ok {
				return nil
			}
			// A value the index does not keep stays as a nil key until
			// repeated names are settled.
			k, _ := ParamKey(v)
			out = append(out, ParamEntry{Name: name, Key: k})
			if m.eat('}') {
				break
			}
			if !m.eat(',') {
				return nil
			}
			m.skipSpace()
		}
	}
	if m.skipSpace(); m.i != len(m.s) {
		return nil
	}
	byName := func(a, b ParamEntry) int { return cmp.Compare(a.Name, b.Name) }
	if !slices.IsSortedFunc(out, byName) {
		slices.SortStableFunc(out, byName)
	}
	// A name given twice keeps its last value, as decoding into a map did.
	w := 0
	for i, e := range out {
		if i+1 < len(out) && out[i+1].Name == e.Name || e.Key == nil {
			continue
		}
		out[w] = e
		w++
	}
	if w == 0 {
		return nil
	}
	return out[:w]
}

// members walks a JSON object's text; each step reports whether the text
// was what JSON allows there.
type members struct {
	s string
	i int
}

func (m *members) skipSpace() {
	for m.i < len(m.s) {
		switch m.s[m.i] {
		case ' ', '\t', '\n', '\r':
			m.i++
		default:
			return
		}
	}
}

// eat moves past c and the space before it, if c is next.
func (m *members) eat(c byte) bool {
	m.skipSpace()
	if m.i < len(m.s) && m.s[m.i] == c {
		m.i++
		return true
	}
	return false
}

// value reads the value at m.i: a string, a json.Number, a bool, or nil
// for null, an object or an array (which the index does not keep).
func (m *members) value() (any, bool) {
	if m.i >= len(m.s) {
		return nil, false
	}
	switch m.s[m.i] {
	case '"':
		return m.text()
	case '{', '[':
		return nil, m.skipNested()
	case 't':
		return true, m.literal("true")
	case 'f':
		return false, m.literal("false")
	case 'n':
		return nil, m.literal("null")
	}
	start := m.i
	m.i += numberLen(m.s[m.i:])
	if m.i == start {
		return nil, false
	}
	return json.Number(m.s[start:m.i]), true
}

func (m *members) literal(word string) bool {
	if len(m.s)-m.i < len(word) || m.s[m.i:m.i+len(word)] != word {
		return false
	}
	m.i += len(word)
	return true
}

// numberLen is the length of the JSON number s starts with (0: none):
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func numberLen(s string) int {
	i := 0
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i, n = i+1, n+1
		}
		return n
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return 0
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return 0
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return 0
		}
	}
	return i
}

// text reads the string at m.i (after space): a slice of m.s when it has
// no escapes and is valid UTF-8, decoded as encoding/json decodes it
// otherwise.
func (m *members) text() (string, bool) {
	if m.skipSpace(); m.i >= len(m.s) || m.s[m.i] != '"' {
		return "", false
	}
	start, plain := m.i, true
	for m.i++; ; m.i++ {
		if m.i >= len(m.s) {
			return "", false
		}
		c := m.s[m.i]
		if c == '"' {
			break
		}
		if c < 0x20 {
			return "", false
		}
		if c == '\\' {
			plain = false
			m.i++
		}
	}
	m.i++
	if s := m.s[start+1 : m.i-1]; plain && utf8.ValidString(s) {
		return s, true
	}
	var out string
	if err := json.Unmarshal([]byte(m.s[start:m.i]), &out); err != nil {
		return "", false
	}
	return out, true
}

// skipNested moves past the object or array at m.i, which json.Valid
// checks (parameters of those kinds are rare and not indexed).
func (m *members) skipNested() bool {
	start, depth := m.i, 0
	for m.i < len(m.s) {
		switch m.s[m.i] {
		case '"':
			if _, ok := m.text(); !ok {
				return false
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
		m.i++
		if depth == 0 {
			return json.Valid([]byte(m.s[start:m.i]))
		}
	}
	return false
}
