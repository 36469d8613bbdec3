package templates

import (
	"fmt"
	"strings"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/flow"
)

// StepTypes lists the step types a flow may use, in the order the editor's
// menu offers them (the types engine/flow compiles), for the menu and for
// the server's check of a step added without the script.
func StepTypes() []design.StepType {
	return []design.StepType{design.StepLog, design.StepWait, design.StepTrigger, design.StepFail, design.StepHTTP}
}

// stepLabel names a step type as the menu and a card's heading show it.
func stepLabel(t design.StepType) string {
	switch t {
	case design.StepLog:
		return "Log a message"
	case design.StepWait:
		return "Wait"
	case design.StepTrigger:
		return "Trigger an event"
	case design.StepFail:
		return "Fail"
	case design.StepHTTP:
		return "Call an HTTP endpoint"
	}
	return "Unknown step " + string(t)
}

// stepHint says in one line what a step type does, under its menu entry.
func stepHint(t design.StepType) string {
	switch t {
	case design.StepLog:
		return "write a line to the delivery's log"
	case design.StepWait:
		return "pause the run, e.g. 2s"
	case design.StepTrigger:
		return "trigger one of this app's own events"
	case design.StepFail:
		return "fail the run, to rehearse retries"
	case design.StepHTTP:
		return "call a service; an answer other than 2xx fails the run"
	}
	return ""
}

// stepCard is one card of the step editor: key names its inputs
// (step.<key>.<field>), pos is its index in the flow as the server last
// saw it (for the errors keyed handler.steps[pos]; -1 for a template).
type stepCard struct {
	Key  string
	Pos  int
	Step design.Step
	// Own are the handling app's own events, the only ones a trigger step
	// may name.
	Own    []design.Event
	Errors FieldErrors
}

// StepKeyTemplate stands for a card's key in the templates the script
// copies when a step is added; the script replaces it with a fresh key.
const StepKeyTemplate = "__KEY__"

func (c stepCard) name(field string) string { return "step." + c.Key + "." + field }

// errKey is the engine's field for part of this step ("message",
// "parameters.Sku"), or the whole step when part is empty.
func (c stepCard) errKey(part string) string {
	if c.Pos < 0 {
		return "\x00" // a template card has no errors
	}
	k := "handler.steps[" + itoa(c.Pos) + "]"
	if part != "" {
		k += "." + part
	}
	return k
}

func (c stepCard) err(part string) string { return c.Errors[c.errKey(part)] }

// target is the own event the trigger step names, if it is one.
func (c stepCard) target() (design.Event, bool) {
	for _, ev := range c.Own {
		if ev.Name == c.Step.Event {
			return ev, true
		}
	}
	return design.Event{}, false
}

// strayMappings are mapped names the target event lacks (or every mapping
// when the event is unknown), kept as rows so they can be cleared.
func (c stepCard) strayMappings() []string {
	ev, _ := c.target()
	var out []string
	for _, k := range sortedKeys(c.Step.Parameters) {
		if _, ok := ev.Param(k); !ok {
			out = append(out, k)
		}
	}
	return out
}

// shownParts are the parts of the step that have a field of their own on
// its card, so their errors show under that field.
func (c stepCard) shownParts() map[string]bool {
	shown := map[string]bool{"when": true}
	switch c.Step.Type {
	case design.StepLog:
		shown["message"] = true
	case design.StepWait:
		shown["duration"] = true
	case design.StepFail:
		shown["message"], shown["probability"] = true, true
	case design.StepHTTP:
		shown["method"], shown["url"], shown["body"], shown["headers"] = true, true, true, true
		for k := range c.Step.Headers {
			shown["headers."+k] = true
		}
	case design.StepTrigger:
		shown["event"] = true
		ev, _ := c.target()
		for _, p := range ev.Parameters {
			shown["parameters."+p.Name] = true
		}
		for _, k := range c.strayMappings() {
			shown["parameters."+k] = true
		}
	}
	return shown
}

// otherErrors are the errors about this step that no field of its card
// shows (its type, say), listed at the top of the card.
func (c stepCard) otherErrors() []string {
	if c.Pos < 0 {
		return nil
	}
	prefix := c.errKey("")
	shown := c.shownParts()
	var out []string
	for _, k := range sortedKeys(c.Errors) {
		if k != prefix && !strings.HasPrefix(k, prefix+".") {
			continue
		}
		if !shown[strings.TrimPrefix(strings.TrimPrefix(k, prefix), ".")] {
			out = append(out, k)
		}
	}
	return out
}

// paramHint describes a target parameter beside its mapping input.
func paramHint(p design.Parameter) string {
	h := string(p.Type)
	if p.Mandatory {
		h += ", mandatory"
	}
	return h
}

// HeaderLines writes an http step's headers as the editor's text area
// shows them: one "Name: value" a line, sorted by name (the form reads
// them back with ParseHeaderLines).
func HeaderLines(h map[string]string) string {
	var b strings.Builder
	for _, k := range sortedKeys(h) {
		b.WriteString(k + ": " + h[k] + "\n")
	}
	return b.String()
}

// ParseHeaderLines reads the editor's headers text area: one
// "Name: value" a line, blank lines ignored. A line without a colon or
// with an empty name, or a name given twice, is an error saying which
// line and how to write it; the headers of the good lines are returned
// with it, so the form shown again keeps them.
func ParseHeaderLines(text string) (map[string]string, error) {
	var out map[string]string
	var first error
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			if first == nil {
				first = fmt.Errorf("line %d (%q) is not a header; write one a line as Name: value, e.g. X-Request-Source: eventloom", i+1, line)
			}
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		if _, dup := out[name]; dup {
			if first == nil {
				first = fmt.Errorf("line %d gives the header %s a second time; give each header once", i+1, name)
			}
			continue
		}
		out[name] = strings.TrimSpace(value)
	}
	return out, first
}

// headerErrors are the errors about an http step's headers, one a line.
func (c stepCard) headerErrors() []string {
	var out []string
	if m := c.err("headers"); m != "" {
		out = append(out, m)
	}
	for _, k := range sortedKeys(c.Step.Headers) {
		if m := c.err("headers." + k); m != "" {
			out = append(out, k+": "+m)
		}
	}
	return out
}

// httpMethod is the method an http step's card shows: its own, upper-cased,
// or the default, POST.
func httpMethod(s design.Step) string {
	if m := strings.ToUpper(strings.TrimSpace(s.Method)); m != "" {
		return m
	}
	return flow.HTTPMethods()[0]
}
