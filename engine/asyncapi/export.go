package asyncapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/payload"
)

// Options says what Export cannot learn from the design alone.
type Options struct {
	// RESTURL is the base URL of the server's REST API, e.g.
	// http://127.0.0.1:8080/api/v1; it becomes the "rest" server, where
	// owners trigger their events. Empty leaves that server out.
	RESTURL string
	// Limits are the engine's payload limits; Text's maxLength is
	// Limits.MaxTextLength. Zero fields mean payload.DefaultLimits.
	Limits payload.Limits
}

// restServer is the id of the server owners trigger through.
const restServer = "rest"

// ChannelID is the channel id (and address) of an event: Producer.Event.
// Names cannot hold a dot, so the id is unique and parses back.
func ChannelID(r design.EventRef) string { return r.String() }

// SendID is the id of the owner's send operation of an event.
func SendID(r design.EventRef) string { return r.String() + ".send" }

// ReceiveID is the id of app's receive operation of an event.
func ReceiveID(r design.EventRef, app string) string { return r.String() + ".receive." + app }

// Export describes d as an AsyncAPI 3.0 document. Every map of the result
// is written in key order by encoding/json, so the same design always
// gives the same bytes.
func Export(d design.Design, opt Options) (Document, error) {
	lim := opt.Limits
	if lim.MaxTextLength <= 0 {
		lim.MaxTextLength = payload.DefaultLimits().MaxTextLength
	}
	doc := Document{
		AsyncAPI:           Version,
		DefaultContentType: "application/json",
		Info: Info{
			Title: "Eventloom design",
			Description: "Every event of an Eventloom design: one channel per event (address Producer.EventName) with one message, " +
				"a send operation for the app that owns it and a receive operation per app that handles it. Apps are the info tags. " +
				"Eventloom's own fields are x-eventloom-* extensions: x-eventloom-public on a channel, x-eventloom-type on a parameter, " +
				"x-eventloom-handler, -enabled and -paused on a receive operation.",
		},
		Servers:    map[string]Server{},
		Channels:   map[string]Channel{},
		Operations: map[string]Operation{},
	}
	for _, a := range d.Apps {
		doc.Info.Tags = append(doc.Info.Tags, Tag{Name: a.Name, Description: a.Description, AppTag: true, Color: a.Color, Concurrency: a.Concurrency, Endpoint: a.Endpoint})
	}
	if opt.RESTURL != "" {
		srv, err := serverOf(opt.RESTURL)
		if err != nil {
			return Document{}, fmt.Errorf("asyncapi export: rest server: %w", err)
		}
		srv.Title = "Eventloom REST trigger"
		srv.Description = "The owner of an event triggers it with POST {pathname}/apps/{app}/events/{event}/trigger, " +
			"a JSON object of the event's parameters as the body and one of the app's keys as the bearer token."
		srv.Security = []Ref{{Ref: "#/components/securitySchemes/appKey"}}
		doc.Servers[restServer] = srv
		doc.Components = &Components{SecuritySchemes: map[string]SecurityScheme{
			"appKey": {Type: "http", Scheme: "bearer", Description: "An API key of the app that owns the event (Apps page of the console), or the admin token."},
		}}
	}
	webhookApps := map[string]bool{}
	for _, s := range d.Subscriptions {
		if s.Handler.Kind == design.KindWebhook {
			webhookApps[s.App] = true
		}
	}
	for _, a := range d.Apps {
		if !webhookApps[a.Name] || a.Endpoint == "" {
			continue
		}
		srv, err := serverOf(a.Endpoint)
		if err != nil {
			return Document{}, fmt.Errorf("asyncapi export: endpoint of %s: %w", a.Name, err)
		}
		srv.Title = a.Name + " webhook endpoint"
		srv.Description = "Eventloom POSTs each delivery of the events " + a.Name + " handles with a webhook handler here, " +
			"as a CloudEvents 1.0 JSON request signed per the Standard Webhooks spec; a 2xx answer is success, anything else is retried."
		doc.Servers[webhookServer(a.Name)] = srv
	}
	for _, ev := range d.Events {
		ch, err := channelOf(ev, d.Subscriptions, doc.Servers, lim)
		if err != nil {
			return Document{}, err
		}
		id := ChannelID(ev.Ref())
		doc.Channels[id] = ch
		chRef := Ref{Ref: "#/channels/" + id}
		msgRef := Ref{Ref: "#/channels/" + id + "/messages/" + ev.Name}
		doc.Operations[SendID(ev.Ref())] = Operation{
			Action: "send", Channel: chRef, Messages: []Ref{msgRef},
			Title: ev.App + " triggers " + ev.Name, Tags: []Tag{{Name: ev.App}}, App: ev.App,
		}
		for _, s := range d.Subscriptions {
			if s.Event != ev.Ref() {
				continue
			}
			h, err := json.Marshal(s.Handler)
			if err != nil {
				return Document{}, fmt.Errorf("asyncapi export: handler of %s for %s: %w", s.App, id, err)
			}
			enabled, paused := s.Enabled, s.Paused
			doc.Operations[ReceiveID(ev.Ref(), s.App)] = Operation{
				Action: "receive", Channel: chRef, Messages: []Ref{msgRef},
				Title: s.App + " handles " + id + " (" + string(s.Handler.Kind) + ")", Tags: []Tag{{Name: s.App}}, App: s.App,
				Handler: h, Enabled: &enabled, Paused: &paused,
			}
		}
	}
	if len(doc.Servers) == 0 {
		doc.Servers = nil
	}
	version, err := versionOf(doc)
	if err != nil {
		return Document{}, err
	}
	doc.Info.Version = version
	return doc, nil
}

func webhookServer(app string) string { return app + ".webhook" }

// versionOf names the document's content: the same design gives the same
// version, any change a new one, so a generator can tell when to run.
func versionOf(doc Document) (string, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("asyncapi export: %w", err)
	}
	sum := sha256.Sum256(b)
	return "design-" + hex.EncodeToString(sum[:6]), nil
}

func serverOf(raw string) (Server, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return Server{}, fmt.Errorf("%q is not an http(s) URL", raw)
	}
	return Server{Host: u.Host, Protocol: u.Scheme, Pathname: strings.TrimSuffix(u.EscapedPath(), "/")}, nil
}

func channelOf(ev design.Event, subs []design.Subscription, servers map[string]Server, lim payload.Limits) (Channel, error) {
	public := ev.Public
	ch := Channel{
		Address:     ChannelID(ev.Ref()),
		Title:       ev.Name,
		Description: ev.Description,
		App:         ev.App,
		Public:      &public,
	}
	if _, ok := servers[restServer]; ok {
		ch.Servers = append(ch.Servers, Ref{Ref: "#/servers/" + restServer})
	}
	for _, s := range subs {
		if s.Event != ev.Ref() || s.Handler.Kind != design.KindWebhook {
			continue
		}
		if _, ok := servers[webhookServer(s.App)]; ok {
			ch.Servers = append(ch.Servers, Ref{Ref: "#/servers/" + webhookServer(s.App)})
		}
	}
	p := Schema{Type: "object", Properties: &Properties{}, AdditionalProperties: new(bool)}
	for _, prm := range ev.Parameters {
		s, err := propertyOf(prm, lim)
		if err != nil {
			return Channel{}, fmt.Errorf("asyncapi export: %s: %w", ev.Ref(), err)
		}
		*p.Properties = append(*p.Properties, Property{Name: prm.Name, Schema: s})
		if prm.Mandatory {
			p.Required = append(p.Required, prm.Name)
		}
	}
	ch.Messages = map[string]Message{ev.Name: {
		Name: ev.Name, Title: ev.Name, Description: ev.Description, ContentType: "application/json", Payload: &p,
	}}
	return ch, nil
}

func ptr[T any](v T) *T { return &v }

// propertyOf is the JSON Schema of one parameter: the type and format its
// values arrive in, and the bounds package payload checks.
func propertyOf(p design.Parameter, lim payload.Limits) (Schema, error) {
	s := Schema{Description: p.Description, EventloomType: string(p.Type)}
	switch p.Type {
	case design.Text:
		s.Type, s.MaxLength = "string", ptr(lim.MaxTextLength)
	case design.Email:
		s.Type, s.Format, s.MaxLength = "string", "email", ptr(payload.MaxEmailLength)
	case design.PhoneNumber:
		s.Type = "string"
	case design.Identifier:
		s.Type, s.MaxLength = []string{"string", "integer"}, ptr(payload.MaxIdentifierLength)
	case design.Integer:
		s.Type, s.Format, s.Minimum, s.Maximum = "integer", "int32", ptr(int64(-1<<31)), ptr(int64(1<<31-1))
	case design.LongInteger:
		s.Type, s.Format = "integer", "int64"
	case design.Decimal, design.Currency:
		s.Type = "number"
	case design.Boolean:
		s.Type = "boolean"
	case design.Date:
		s.Type, s.Format = "string", "date"
	case design.Time:
		// Not JSON Schema's "time" format, which demands a zone offset:
		// a Time is a wall-clock HH:MM[:SS].
		s.Type, s.Pattern = "string", `^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$`
	case design.DateTime:
		s.Type, s.Format = "string", "date-time"
	default:
		return Schema{}, fmt.Errorf("parameter %s has type %q, which has no JSON Schema", p.Name, p.Type)
	}
	return s, nil
}
