package web

import (
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/web/httperr"
)

// paramPrefix starts a payload search condition in a query string:
// param.CustomerEmail=ann@example.com, param.Amount=10..99.
const paramPrefix = "param."

// paramQueries reads the payload conditions of a query string, in the
// order of their names (a name may repeat: param.Amount=10..&param.Amount=..99).
func paramQueries(q url.Values) []engine.ParamQuery {
	var names []string
	for k := range q {
		if strings.HasPrefix(k, paramPrefix) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var out []engine.ParamQuery
	for _, k := range names {
		for _, v := range q[k] {
			out = append(out, engine.ParamQuery{Name: strings.TrimPrefix(k, paramPrefix), Value: v})
		}
	}
	return out
}

// payloadField reads the console's payload filter: conditions
// Name=value separated by semicolons ("CustomerEmail=ann@example.com;
// Amount=10..99"); an empty field is none.
func payloadField(s string) ([]engine.ParamQuery, string) {
	var out []engine.ParamQuery
	for part := range strings.SplitSeq(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		name = strings.TrimPrefix(strings.TrimSpace(name), paramPrefix)
		if !ok || name == "" {
			return nil, "write each condition as Name=value, such as CustomerEmail=ann@example.com or Amount=10..99, separated by ;; got " + strconv.Quote(part)
		}
		out = append(out, engine.ParamQuery{Name: name, Value: value})
	}
	return out, ""
}

// formatPayload writes conditions back as the console's payload field.
func formatPayload(qs []engine.ParamQuery) string {
	parts := make([]string, len(qs))
	for i, q := range qs {
		parts[i] = q.Name + "=" + q.Value
	}
	return strings.Join(parts, "; ")
}

// paramBadRequest turns a refused payload condition into a 400 naming
// the condition; other errors pass through.
func paramBadRequest(err error) error {
	if !engine.IsParamFilterError(err) {
		return err
	}
	e := fault.All(err)[0]
	return &httperr.BadRequest{Code: e.Code, Field: e.Field, Message: e.Message + ". " + engine.ParamFilterSyntax + "."}
}

// paramFormError is the message of a refused payload condition for a
// console form, and whether err is one.
func paramFormError(err error) (string, bool) {
	if !engine.IsParamFilterError(err) {
		return "", false
	}
	e := fault.All(err)[0]
	return e.Field + ": " + e.Message, true
}
