package request

import (
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/eventloom/eventloom/engine"
)

// ParamPrefix starts a payload search condition in a query string:
// param.CustomerEmail=ann@example.com, param.Amount=10..99.
const ParamPrefix = "param."

// ParamQueries reads the payload conditions of a query string, in the
// order of their names (a name may repeat: param.Amount=10..&param.Amount=..99).
func ParamQueries(q url.Values) []engine.ParamQuery {
	var names []string
	for k := range q {
		if strings.HasPrefix(k, ParamPrefix) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var out []engine.ParamQuery
	for _, k := range names {
		for _, v := range q[k] {
			out = append(out, engine.ParamQuery{Name: strings.TrimPrefix(k, ParamPrefix), Value: v})
		}
	}
	return out
}

// PayloadField reads the console's payload filter: conditions
// Name=value separated by semicolons ("CustomerEmail=ann@example.com;
// Amount=10..99"); an empty field is none. The string returned, when not
// empty, says what is wrong and how to write it.
func PayloadField(s string) ([]engine.ParamQuery, string) {
	var out []engine.ParamQuery
	for part := range strings.SplitSeq(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		name = strings.TrimPrefix(strings.TrimSpace(name), ParamPrefix)
		if !ok || name == "" {
			return nil, "write each condition as Name=value, such as CustomerEmail=ann@example.com or Amount=10..99, separated by ;; got " + strconv.Quote(part)
		}
		out = append(out, engine.ParamQuery{Name: name, Value: value})
	}
	return out, ""
}

// FormatPayload writes conditions back as the console's payload field.
func FormatPayload(qs []engine.ParamQuery) string {
	parts := make([]string, len(qs))
	for i, q := range qs {
		parts[i] = q.Name + "=" + q.Value
	}
	return strings.Join(parts, "; ")
}
