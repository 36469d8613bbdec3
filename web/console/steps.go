package console

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/templates"
)

// stepsFromForm reads the flow's step cards. Each card posts its key as a
// "step" value, in the order the cards stand, and its fields as
// step.<key>.<field>; a trigger card's mappings are step.<key>.param.<Name>,
// and a mapping left empty is no mapping; an http card's headers are one
// text of "Name: value" lines. Values that do not parse become
// field errors under the step's position, as the engine's own are. keys[i]
// is the key of steps[i].
func stepsFromForm(f url.Values) (keys []string, steps []design.Step, errs templates.FieldErrors) {
	errs = templates.FieldErrors{}
	for _, key := range f["step"] {
		if key == "" || slices.Contains(keys, key) {
			continue // a card's key is unique; a repeat is the same card
		}
		field := "handler.steps[" + strconv.Itoa(len(steps)) + "]"
		at := func(name string) string { return f.Get("step." + key + "." + name) }
		st := design.Step{Type: design.StepType(at("type")), Message: at("message"), Event: at("event"), When: strings.TrimSpace(at("when"))}
		if st.Type == "" {
			errs[field+".type"] = "the step has no type; remove it and add a step from the menu"
		}
		if d := strings.TrimSpace(at("duration")); d != "" {
			if err := st.Duration.UnmarshalText([]byte(d)); err != nil {
				errs[field+".duration"] = strconv.Quote(d) + " is not a duration; write a number with a unit, such as 2s, 500ms or 1m30s"
			}
		}
		if st.Type == design.StepHTTP {
			st.Method, st.URL, st.Body = at("method"), strings.TrimSpace(at("url")), at("body")
			h, err := templates.ParseHeaderLines(at("headers"))
			if err != nil {
				errs[field+".headers"] = err.Error()
			}
			st.Headers = h
		}
		if p := strings.TrimSpace(at("probability")); p != "" {
			v, err := strconv.ParseFloat(p, 64)
			if err != nil {
				errs[field+".probability"] = strconv.Quote(p) + " is not a number; write a probability from 0 to 1, such as 0.2"
			}
			st.Probability = v
		}
		prefix := "step." + key + ".param."
		for name, vals := range f {
			param, ok := strings.CutPrefix(name, prefix)
			if !ok || param == "" || len(vals) == 0 || strings.TrimSpace(vals[0]) == "" {
				continue
			}
			if st.Parameters == nil {
				st.Parameters = map[string]string{}
			}
			st.Parameters[param] = strings.TrimSpace(vals[0])
		}
		keys, steps = append(keys, key), append(steps, st)
	}
	if len(errs) == 0 {
		errs = nil
	}
	return keys, steps, errs
}

// editSteps applies the button of a step card pressed while the script is
// absent: add (a step type), move ("<key> up" or "<key> down"), remove (a
// key) or refresh (show a trigger's parameters). ok reports whether one
// was pressed; msg says what was wrong with it, for the steps' field.
func editSteps(f url.Values, keys []string, steps []design.Step) (out []design.Step, msg string, ok bool) {
	out = slices.Clone(steps)
	switch {
	case f.Has("add"):
		t := design.StepType(f.Get("add"))
		if !slices.Contains(templates.StepTypes(), t) {
			return out, strconv.Quote(string(t)) + " is not a step type; add one of log, wait, trigger, fail or http from the menu", true
		}
		return append(out, design.Step{Type: t}), "", true
	case f.Has("move"):
		key, dir, _ := strings.Cut(f.Get("move"), " ")
		i := slices.Index(keys, key)
		if i < 0 || (dir != "up" && dir != "down") {
			return out, "that step is no longer in the form; reload the editor and try again", true
		}
		j := i - 1
		if dir == "down" {
			j = i + 1
		}
		if j >= 0 && j < len(out) {
			out[i], out[j] = out[j], out[i]
		}
		return out, "", true
	case f.Has("remove"):
		i := slices.Index(keys, f.Get("remove"))
		if i < 0 {
			return out, "that step is no longer in the form; reload the editor and try again", true
		}
		return slices.Delete(out, i, i+1), "", true
	case f.Has("refresh"):
		return out, "", true
	}
	return steps, "", false
}
