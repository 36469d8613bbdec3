package asyncapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
)

// defaultHandler is the handler of a receive operation that names none
// (a document written outside Eventloom): a flow that logs each delivery,
// so the design runs at once and the handler can be replaced in the
// console.
var defaultHandler = design.Handler{Kind: design.KindFlow, Steps: []design.Step{{Type: design.StepLog, Message: "received"}}}

// Import reads an AsyncAPI 3.0 document, JSON or YAML, as a design. Every part
// Eventloom cannot represent is reported, all at once, as a fault.Error
// whose Field is the JSON path of the part (channels.X.messages.Y...), so
// the author can fix the document in one pass. The design is not yet
// checked against the design rules: Engine.ImportDesign does that.
func Import(raw []byte) (design.Design, error) {
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] != '{' {
		j, err := FromYAML(raw)
		if err != nil {
			return design.Design{}, fault.Field("", "malformed_asyncapi", err.Error()+"; send an AsyncAPI 3.0 document in JSON or YAML")
		}
		raw = j
	}
	var doc Document
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&doc); err != nil {
		return design.Design{}, fault.Field("", "malformed_asyncapi", "the AsyncAPI document is not the expected JSON: "+err.Error()+"; send an AsyncAPI 3.0 document in JSON or YAML")
	}
	im := importer{doc: doc, apps: map[string]int{}, owners: map[string]string{}}
	im.read()
	if len(im.errs) > 0 {
		return design.Design{}, im.errs.Err()
	}
	return im.out, nil
}

type importer struct {
	doc    Document
	out    design.Design
	errs   fault.List
	apps   map[string]int    // app name -> index in out.Apps
	owners map[string]string // channel id -> owning app
}

func (im *importer) fail(path, code, format string, args ...any) {
	im.errs = append(im.errs, fault.Field(path, code, fmt.Sprintf(format, args...)))
}

func (im *importer) read() {
	if !strings.HasPrefix(im.doc.AsyncAPI, "3.") {
		im.fail("asyncapi", "unsupported_version", "the document is AsyncAPI %q; Eventloom reads AsyncAPI 3.x (convert a 2.x document with the AsyncAPI CLI's convert command)", im.doc.AsyncAPI)
		return
	}
	for i, t := range im.doc.Info.Tags {
		if t.AppTag {
			if _, dup := im.apps[t.Name]; dup {
				im.fail(fmt.Sprintf("info.tags[%d]", i), "duplicate", "app %q is listed twice; list each app once", t.Name)
				continue
			}
			im.addApp(design.App{Name: t.Name, Description: t.Description, Color: t.Color, Concurrency: t.Concurrency, Endpoint: t.Endpoint})
		}
	}
	opIDs := sortedKeys(im.doc.Operations)
	// Owners first: a channel's owner is named on the channel or by the
	// app of its send operation.
	for _, id := range sortedKeys(im.doc.Channels) {
		if app := im.doc.Channels[id].App; app != "" {
			im.owners[id] = app
		}
	}
	for _, id := range opIDs {
		op := im.doc.Operations[id]
		if op.Action != "send" {
			continue
		}
		ch, ok := im.channelOf("operations."+id+".channel", op.Channel)
		if !ok {
			continue
		}
		app, ok := im.appOf("operations."+id, op)
		if !ok {
			continue
		}
		if owner, has := im.owners[ch]; has && owner != app {
			im.fail("operations."+id, "not_owner", "%s sends %s, which %s owns; in Eventloom only the owner triggers an event: send it from %s or make %s the owner", app, ch, owner, owner, app)
			continue
		}
		im.owners[ch] = app
	}
	receivers := map[string]bool{} // channel id -> another app receives it
	for _, id := range opIDs {
		op := im.doc.Operations[id]
		if op.Action == "receive" {
			if ch, ok := im.channelOf("operations."+id+".channel", op.Channel); ok {
				if app, ok := im.appOf("operations."+id, op); ok && app != im.owners[ch] {
					receivers[ch] = true
				}
			}
		}
	}
	for _, id := range sortedKeys(im.doc.Channels) {
		im.readChannel(id, im.doc.Channels[id], receivers[id])
	}
	for _, id := range opIDs {
		op := im.doc.Operations[id]
		switch op.Action {
		case "send":
		case "receive":
			im.readReceive(id, op)
		default:
			im.fail("operations."+id+".action", "invalid_action", "action %q is neither send nor receive", op.Action)
		}
	}
}

func (im *importer) addApp(a design.App) {
	im.apps[a.Name] = len(im.out.Apps)
	im.out.Apps = append(im.out.Apps, a)
}

// appOf is the app an operation belongs to: x-eventloom-app, else its
// first tag. An app no info tag lists is added with its name only.
func (im *importer) appOf(path string, op Operation) (string, bool) {
	app := op.App
	if app == "" && len(op.Tags) > 0 {
		app = op.Tags[0].Name
	}
	if app == "" {
		im.fail(path, "no_app", "the operation names no app: tag it with the app's name (tags: [{\"name\": \"Storefront\"}]) or set x-eventloom-app")
		return "", false
	}
	if _, ok := im.apps[app]; !ok {
		im.addApp(design.App{Name: app})
	}
	return app, true
}

// channelOf resolves an operation's channel reference to a channel id.
func (im *importer) channelOf(path string, r Ref) (string, bool) {
	id, ok := strings.CutPrefix(r.Ref, "#/channels/")
	if !ok {
		im.fail(path, "bad_reference", "%q is not a reference to a channel of this document; use {\"$ref\": \"#/channels/<id>\"}", r.Ref)
		return "", false
	}
	id = strings.NewReplacer("~1", "/", "~0", "~").Replace(id)
	if _, ok := im.doc.Channels[id]; !ok {
		im.fail(path, "bad_reference", "channel %q does not exist in this document", id)
		return "", false
	}
	return id, true
}

func (im *importer) readChannel(id string, ch Channel, receivedByOthers bool) {
	path := "channels." + id
	owner, ok := im.owners[id]
	if !ok {
		im.fail(path, "no_owner", "no app sends this channel's event: add a send operation tagged with the owning app, or set x-eventloom-app on the channel")
		return
	}
	if _, known := im.apps[owner]; !known {
		im.addApp(design.App{Name: owner})
	}
	if len(ch.Messages) != 1 {
		im.fail(path+".messages", "one_message", "the channel has %d messages; an Eventloom event is one channel with exactly one message, so split it into one channel per message", len(ch.Messages))
		return
	}
	var key string
	var msg Message
	for k, m := range ch.Messages {
		key, msg = k, m
	}
	name := msg.Name
	if name == "" {
		name = key
	}
	ev := design.Event{App: owner, Name: name, Description: msg.Description, Parameters: []design.Parameter{}}
	if ev.Description == "" {
		ev.Description = ch.Description
	}
	switch {
	case ch.Public != nil:
		ev.Public = *ch.Public
	default:
		// Another app receiving it needs it public; otherwise the safe
		// default is private.
		ev.Public = receivedByOthers
	}
	if e := design.CheckName(path+".messages."+key+".name", name); e != nil {
		im.errs = append(im.errs, e)
	}
	ev.Parameters = im.readPayload(path+".messages."+key+".payload", msg.Payload)
	im.out.Events = append(im.out.Events, ev)
}

func (im *importer) readPayload(path string, p *Schema) []design.Parameter {
	out := []design.Parameter{}
	if p == nil {
		return out
	}
	if p.Ref != "" {
		im.fail(path, "unsupported_reference", "the payload is a reference (%s); write the schema inline", p.Ref)
		return out
	}
	if p.Type != "object" {
		im.fail(path+".type", "not_an_object", "the payload is %s; an Eventloom event carries an object of named parameters: {\"type\": \"object\", \"properties\": {...}}", describeType(p.Type))
		return out
	}
	if p.Properties == nil {
		return out
	}
	for _, prop := range *p.Properties {
		t, err := typeOf(prop.Schema)
		if err != "" {
			im.fail(path+".properties."+prop.Name, "unsupported_type", "%s", err)
			continue
		}
		out = append(out, design.Parameter{Name: prop.Name, Type: t, Mandatory: slices.Contains(p.Required, prop.Name), Description: prop.Schema.Description})
	}
	for _, r := range p.Required {
		if !slices.ContainsFunc(*p.Properties, func(x Property) bool { return x.Name == r }) {
			im.fail(path+".required", "unknown_property", "%q is required but is not a property; add it to properties or remove it from required", r)
		}
	}
	return out
}

// typeOf is the parameter type of a property schema: x-eventloom-type when
// given, else read from type and format. A schema no parameter type fits
// (objects, arrays, null) answers why.
func typeOf(s Schema) (design.ParamType, string) {
	if s.EventloomType != "" {
		if t := design.ParamType(s.EventloomType); t.Valid() {
			return t, ""
		}
		return "", fmt.Sprintf("x-eventloom-type %q is not a parameter type; use one of %v", s.EventloomType, design.ParamTypes())
	}
	if s.Ref != "" {
		return "", fmt.Sprintf("the property is a reference (%s); write its schema inline", s.Ref)
	}
	switch t := s.Type.(type) {
	case string:
		switch t {
		case "string":
			switch s.Format {
			case "date":
				return design.Date, ""
			case "date-time":
				return design.DateTime, ""
			case "time":
				return design.Time, ""
			case "email":
				return design.Email, ""
			}
			return design.Text, ""
		case "integer":
			if s.Format == "int64" {
				return design.LongInteger, ""
			}
			return design.Integer, ""
		case "number":
			return design.Decimal, ""
		case "boolean":
			return design.Boolean, ""
		}
	case []any:
		if len(t) == 2 && slices.Contains(t, any("string")) && slices.Contains(t, any("integer")) {
			return design.Identifier, ""
		}
	}
	return "", fmt.Sprintf("the property is %s; Eventloom parameters are scalars (string, integer, number, boolean, with formats date, date-time, time, email): carry an identifier and let the handler fetch the rest", describeType(s.Type))
}

func describeType(t any) string {
	if t == nil {
		return "of no type"
	}
	b, _ := json.Marshal(t)
	return "of type " + string(b)
}

func (im *importer) readReceive(id string, op Operation) {
	path := "operations." + id
	ch, ok := im.channelOf(path+".channel", op.Channel)
	if !ok {
		return
	}
	app, ok := im.appOf(path, op)
	if !ok {
		return
	}
	owner, ok := im.owners[ch]
	if !ok {
		return // reported on the channel
	}
	var name string
	for k, m := range im.doc.Channels[ch].Messages {
		name = m.Name
		if name == "" {
			name = k
		}
	}
	sub := design.Subscription{App: app, Event: design.EventRef{App: owner, Event: name}, Handler: defaultHandler, Enabled: true}
	if len(op.Handler) > 0 {
		var h design.Handler
		d := json.NewDecoder(bytes.NewReader(op.Handler))
		d.DisallowUnknownFields()
		if err := d.Decode(&h); err != nil {
			im.fail(path+".x-eventloom-handler", "invalid_handler", "the handler is not an Eventloom handler: %v; e.g. {\"kind\":\"flow\",\"steps\":[{\"type\":\"log\",\"message\":\"received\"}]}", err)
			return
		}
		sub.Handler = h
	}
	if op.Enabled != nil {
		sub.Enabled = *op.Enabled
	}
	if op.Paused != nil {
		sub.Paused = *op.Paused
	}
	for _, s := range im.out.Subscriptions {
		if s.App == app && s.Event == sub.Event {
			im.fail(path, "duplicate", "%s receives %s twice; an app handles an event with one subscription", app, sub.Event)
			return
		}
	}
	im.out.Subscriptions = append(im.out.Subscriptions, sub)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
