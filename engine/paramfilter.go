package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/payload"
	"github.com/eventloom/eventloom/engine/storage"
)

// ParamQuery is one payload search condition as a person writes it,
// param.Name=Value: Value is an exact value, or for a number, a Date, a
// Time or a DateTime a range lo..hi with both ends inclusive and either
// end left out (10..99, 10.., ..99). A DateTime may be given as a date
// alone: as an exact value it means that whole day (UTC), as a range's
// start its first instant and as a range's end its last.
type ParamQuery struct {
	Name  string
	Value string
}

// ParamFilterSyntax is the payload search syntax in one sentence, for
// documents and messages.
const ParamFilterSyntax = "param.Name=value matches a parameter exactly; for numbers, dates, times and date-times param.Name=lo..hi is an inclusive range (either end may be left out: 10.., ..99); a date-time may be given as a date (2026-01-01), meaning that whole day"

// rangedTypes are the parameter types a range applies to; the others
// (text, e-mail, phone, identifier, boolean) are matched exactly only, so
// ".." in their values is plain text.
var rangedTypes = map[design.ParamType]bool{
	design.Integer: true, design.LongInteger: true, design.Decimal: true, design.Currency: true,
	design.Date: true, design.Time: true, design.DateTime: true,
}

// numericTypes compare as numbers, so a name that is an Integer in one
// event and a Decimal in another is still one search.
var numericTypes = map[design.ParamType]bool{
	design.Integer: true, design.LongInteger: true, design.Decimal: true, design.Currency: true,
}

// paramError is a payload search refusal about one condition.
func paramError(name, msg string) *fault.Error {
	return fault.Field("param."+name, "bad_param_filter", msg)
}

// IsParamFilterError reports whether err is a refusal of a payload search
// condition (the web layer answers it with 400, like any bad query
// parameter).
func IsParamFilterError(err error) bool {
	all := fault.All(err)
	return len(all) > 0 && all[0].Code == "bad_param_filter"
}

// paramConds checks each query against the types of the parameter it
// names (in eventID's event when set, else in every event that has it)
// and returns the conditions a backend applies.
func (e *Engine) paramConds(eventID int64, qs []ParamQuery) ([]storage.ParamCond, error) {
	if len(qs) == 0 {
		return nil, nil
	}
	idx := e.snap.Load().idx
	var out []storage.ParamCond
	for _, q := range qs {
		typ, events, err := paramType(idx, eventID, q.Name)
		if err != nil {
			return nil, err
		}
		conds, err := parseParamValue(q, typ)
		if err != nil {
			return nil, err
		}
		for i := range conds {
			conds[i].EventIDs = events
		}
		out = append(out, conds...)
	}
	return out, nil
}

// paramType finds the type of parameter name, and the events that have
// it with that type (their ids, sorted).
func paramType(idx *design.Index, eventID int64, name string) (design.ParamType, []int64, error) {
	if name == "" {
		return "", nil, paramError(name, "a payload filter names a parameter: param.Name=value, such as param.CustomerEmail=ann@example.com")
	}
	if eventID != 0 {
		ev, ok := idx.EventByID(eventID)
		if !ok {
			return "", nil, fault.New(fault.ErrNotFound, "not_found", fmt.Sprintf("event %d does not exist", eventID))
		}
		var names []string
		for _, p := range ev.Parameters {
			if p.Name == name {
				return p.Type, []int64{ev.ID}, nil
			}
			names = append(names, p.Name)
		}
		known := "it has no parameters"
		if len(names) > 0 {
			known = "its parameters are " + strings.Join(names, ", ")
		}
		return "", nil, paramError(name, fmt.Sprintf("%s has no parameter %s; %s", ev.Ref(), name, known))
	}
	byType := map[design.ParamType][]string{}
	var events []int64
	var typ design.ParamType
	numeric := true
	for _, ev := range idx.Design.Events {
		for _, p := range ev.Parameters {
			if p.Name != name {
				continue
			}
			byType[p.Type] = append(byType[p.Type], ev.Ref().String())
			events = append(events, ev.ID)
			typ = p.Type
			numeric = numeric && numericTypes[p.Type]
		}
	}
	switch {
	case len(events) == 0:
		return "", nil, paramError(name, fmt.Sprintf("no event has a parameter named %s; check its spelling (names are case-sensitive)", name))
	case len(byType) > 1 && !numeric:
		var parts []string
		for t, refs := range byType {
			parts = append(parts, fmt.Sprintf("%s in %s", t, strings.Join(refs, ", ")))
		}
		sort.Strings(parts)
		return "", nil, paramError(name, fmt.Sprintf("%s has different types (%s); filter by one event (event=App.Event) to say which", name, strings.Join(parts, "; ")))
	case len(byType) > 1:
		typ = design.Decimal
	}
	sort.Slice(events, func(i, j int) bool { return events[i] < events[j] })
	return typ, events, nil
}

// parseParamValue turns one query into conditions: an exact value, or
// the ends of a range.
func parseParamValue(q ParamQuery, typ design.ParamType) ([]storage.ParamCond, error) {
	v := strings.TrimSpace(q.Value)
	if typ != design.Text {
		q.Value = v
	}
	lo, hi, ranged := strings.Cut(q.Value, "..")
	if !ranged || !rangedTypes[typ] {
		if typ == design.DateTime && isDate(q.Value) {
			return dayRange(q, q.Value, q.Value)
		}
		k, err := paramKey(q.Name, typ, q.Value, "")
		if err != nil {
			return nil, err
		}
		return []storage.ParamCond{{Name: q.Name, Op: storage.ParamEq, Value: k}}, nil
	}
	if lo == "" && hi == "" {
		return nil, paramError(q.Name, fmt.Sprintf("the range %q has no ends; write lo..hi, lo.. or ..hi, such as 10..99", q.Value))
	}
	if typ == design.DateTime {
		return dayRange(q, lo, hi)
	}
	return rangeConds(q, typ, lo, hi)
}

// rangeConds are a range's conditions, each end checked against typ.
func rangeConds(q ParamQuery, typ design.ParamType, lo, hi string) ([]storage.ParamCond, error) {
	var out []storage.ParamCond
	for _, end := range []struct {
		s  string
		op storage.ParamOp
		at string
	}{{lo, storage.ParamGE, "start"}, {hi, storage.ParamLE, "end"}} {
		if end.s == "" {
			continue
		}
		k, err := paramKey(q.Name, typ, end.s, end.at)
		if err != nil {
			return nil, err
		}
		out = append(out, storage.ParamCond{Name: q.Name, Op: end.op, Value: k})
	}
	if len(out) == 2 && storage.CompareKeys(out[0].Value, out[1].Value) > 0 {
		return nil, paramError(q.Name, fmt.Sprintf("the range %q starts after it ends; write the smaller end first", q.Value))
	}
	return out, nil
}

// dayRange is a DateTime range whose ends may be dates: a start date
// means its first instant, an end date its last.
func dayRange(q ParamQuery, lo, hi string) ([]storage.ParamCond, error) {
	if isDate(lo) {
		lo += "T00:00:00Z"
	}
	if isDate(hi) {
		hi += "T23:59:59.999999999Z"
	}
	return rangeConds(q, design.DateTime, lo, hi)
}

func isDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// paramKey checks s as a value of a parameter of type typ (the trigger
// form's rules, so a search accepts what a trigger does) and returns its
// index key. at names the range end, "" for an exact value.
func paramKey(name string, typ design.ParamType, s, at string) (any, error) {
	ev := design.Event{Name: "search", Parameters: []design.Parameter{{Name: name, Type: typ}}}
	if s == "" {
		return nil, paramError(name, fmt.Sprintf("param.%s needs a value (a %s), such as %s", name, typ, example(typ)))
	}
	raw, err := payload.CheckForm(ev, map[string]string{name: s}, payload.DefaultLimits())
	if err != nil {
		msg := err.Error()
		if all := fault.All(err); len(all) > 0 {
			msg = all[0].Message
		}
		if at != "" {
			msg = "the range's " + at + ": " + msg
		}
		if rangedTypes[typ] {
			msg += "; a range is written lo..hi, such as " + example(typ) + ".." + example(typ)
		}
		return nil, paramError(name, msg)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var vals map[string]any
	if err := dec.Decode(&vals); err != nil {
		return nil, fmt.Errorf("read the checked value of %s: %w", name, err)
	}
	k, ok := storage.ParamKey(vals[name])
	if !ok {
		return nil, paramError(name, fmt.Sprintf("param.%s=%q is no value a search can match", name, s))
	}
	return k, nil
}

// example is a value of typ for messages.
func example(typ design.ParamType) string {
	switch typ {
	case design.Integer, design.LongInteger:
		return "10"
	case design.Decimal, design.Currency:
		return "9.99"
	case design.Boolean:
		return "true"
	case design.Date:
		return "2026-01-01"
	case design.Time:
		return "09:30"
	case design.DateTime:
		return "2026-01-01T09:30:00Z"
	case design.Email:
		return "ann@example.com"
	}
	return "abc"
}
