package asyncapi_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine/asyncapi"
	"github.com/eventloom/eventloom/engine/demo"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/payload"
	"github.com/eventloom/eventloom/internal/schematest"
)

// The official AsyncAPI 3.0.0 schema, from the @asyncapi/specs package.
const asyncapiSchema = "@asyncapi/specs/schemas/3.0.0.json"

func demoDesign(t *testing.T) design.Design {
	t.Helper()
	d, err := demoDesignF()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func demoDesignF() (design.Design, error) { return demo.Design() }

func export(t *testing.T, d design.Design) []byte {
	t.Helper()
	doc, err := asyncapi.Export(d, asyncapi.Options{RESTURL: "http://127.0.0.1:8080/api/v1"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestExportOfTheDemoValidatesAgainstAsyncAPI3Schema(t *testing.T) {
	s := schematest.Compile(t, asyncapiSchema)
	d := demoDesign(t)
	d.Apps[0].Endpoint = "https://shop.example.com/hooks"
	d.Subscriptions = append(d.Subscriptions, design.Subscription{App: d.Apps[0].Name, Event: d.Events[0].Ref(), Handler: design.Handler{Kind: design.KindWebhook}, Enabled: true})
	b := export(t, d)
	schematest.Validate(t, s, b)

	// The schema is really applied: a document missing its info fails.
	var broken map[string]any
	if err := json.Unmarshal(b, &broken); err != nil {
		t.Fatal(err)
	}
	delete(broken, "info")
	if err := schematest.Check(s, broken); err == nil {
		t.Fatal("a document without info passed the AsyncAPI schema")
	}
}

func TestExportDescribesEventsAsChannelsWithPayloadSchemas(t *testing.T) {
	d := design.Design{
		Apps: []design.App{{Name: "Shop", Description: "the shop", Color: "#112233", Concurrency: 7}, {Name: "Mail", Endpoint: "https://mail.example.com/in"}},
		Events: []design.Event{{App: "Shop", Name: "Placed", Public: true, Description: "an order", Parameters: []design.Parameter{
			{Name: "Note", Type: design.Text, Mandatory: true, Description: "free text"},
			{Name: "Qty", Type: design.Integer},
			{Name: "Big", Type: design.LongInteger},
			{Name: "Price", Type: design.Decimal},
			{Name: "Gift", Type: design.Boolean},
			{Name: "On", Type: design.Date},
			{Name: "At", Type: design.DateTime},
			{Name: "Email", Type: design.Email},
			{Name: "Id", Type: design.Identifier, Mandatory: true},
		}}},
		Subscriptions: []design.Subscription{{App: "Mail", Event: design.EventRef{App: "Shop", Event: "Placed"}, Handler: design.Handler{Kind: design.KindWebhook}, Enabled: true}},
	}
	doc, err := asyncapi.Export(d, asyncapi.Options{RESTURL: "http://127.0.0.1:8080/api/v1", Limits: payload.Limits{MaxTextLength: 500}})
	if err != nil {
		t.Fatal(err)
	}
	ch, ok := doc.Channels["Shop.Placed"]
	if !ok || ch.Address != "Shop.Placed" || ch.App != "Shop" || ch.Public == nil || !*ch.Public {
		t.Fatalf("channel = %+v", ch)
	}
	if len(ch.Servers) != 2 || ch.Servers[0].Ref != "#/servers/rest" || ch.Servers[1].Ref != "#/servers/Mail.webhook" {
		t.Fatalf("channel servers = %+v", ch.Servers)
	}
	if srv := doc.Servers["Mail.webhook"]; srv.Host != "mail.example.com" || srv.Protocol != "https" || srv.Pathname != "/in" {
		t.Fatalf("webhook server = %+v", srv)
	}
	p := ch.Messages["Placed"].Payload
	if p.Type != "object" || !slices.Equal(p.Required, []string{"Note", "Id"}) || p.AdditionalProperties == nil || *p.AdditionalProperties {
		t.Fatalf("payload = %+v", p)
	}
	props := map[string]asyncapi.Schema{}
	var order []string
	for _, x := range *p.Properties {
		props[x.Name] = x.Schema
		order = append(order, x.Name)
	}
	if !slices.Equal(order, []string{"Note", "Qty", "Big", "Price", "Gift", "On", "At", "Email", "Id"}) {
		t.Fatalf("property order = %v", order)
	}
	for name, want := range map[string]string{"Qty": "integer/int32", "Big": "integer/int64", "Price": "number/", "Gift": "boolean/", "On": "string/date", "At": "string/date-time", "Email": "string/email"} {
		s := props[name]
		if got, _ := s.Type.(string); got+"/"+s.Format != want {
			t.Errorf("%s: type/format = %v/%s, want %s", name, s.Type, s.Format, want)
		}
	}
	if n := props["Note"]; n.MaxLength == nil || *n.MaxLength != 500 || n.Description != "free text" || n.EventloomType != "Text" {
		t.Errorf("Note = %+v", n)
	}
	if q := props["Qty"]; *q.Minimum != -1<<31 || *q.Maximum != 1<<31-1 {
		t.Errorf("Qty bounds = %d..%d", *q.Minimum, *q.Maximum)
	}
	send, recv := doc.Operations["Shop.Placed.send"], doc.Operations["Shop.Placed.receive.Mail"]
	if send.Action != "send" || send.App != "Shop" || send.Channel.Ref != "#/channels/Shop.Placed" {
		t.Fatalf("send = %+v", send)
	}
	if recv.Action != "receive" || recv.App != "Mail" || !strings.Contains(string(recv.Handler), `"webhook"`) {
		t.Fatalf("receive = %+v", recv)
	}
	if len(doc.Info.Tags) != 2 || doc.Info.Tags[0].Color != "#112233" || doc.Info.Tags[0].Concurrency != 7 || doc.Info.Tags[1].Endpoint != "https://mail.example.com/in" {
		t.Fatalf("app tags = %+v", doc.Info.Tags)
	}
}

func sorted(d design.Design) design.Design {
	slices.SortFunc(d.Events, func(a, b design.Event) int { return strings.Compare(a.Ref().String(), b.Ref().String()) })
	slices.SortFunc(d.Subscriptions, func(a, b design.Subscription) int {
		return strings.Compare(a.Event.String()+"/"+a.App, b.Event.String()+"/"+b.App)
	})
	for i := range d.Events {
		if d.Events[i].Parameters == nil {
			d.Events[i].Parameters = []design.Parameter{}
		}
	}
	return d
}

func TestExportImportExportRoundTripsTheDemo(t *testing.T) {
	d := demoDesign(t)
	first := export(t, d)
	back, err := asyncapi.Import(first)
	if err != nil {
		t.Fatalf("import of the export: %v", err)
	}
	if second := export(t, back); !bytes.Equal(first, second) {
		t.Fatalf("export -> import -> export differs:\n%s\n---\n%s", first, second)
	}
	want, _ := json.Marshal(sorted(d))
	got, _ := json.Marshal(sorted(back))
	if !bytes.Equal(want, got) {
		t.Fatalf("the imported design differs from the exported one:\n%s\n---\n%s", want, got)
	}
}

func TestImportOfAForeignDocumentInfersWhatItCan(t *testing.T) {
	doc := `{"asyncapi":"3.0.0","info":{"title":"t","version":"1"},
	"channels":{"orders":{"address":"orders","messages":{"OrderPlaced":{"payload":{"type":"object","required":["id"],
	  "properties":{"id":{"type":"string"},"count":{"type":"integer"},"when":{"type":"string","format":"date-time"},"ref":{"type":["string","integer"]}}}}}}},
	"operations":{"publish":{"action":"send","channel":{"$ref":"#/channels/orders"},"tags":[{"name":"Shop"}]},
	  "consume":{"action":"receive","channel":{"$ref":"#/channels/orders"},"tags":[{"name":"Billing"}]}}}`
	d, err := asyncapi.Import([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Apps) != 2 || len(d.Events) != 1 || len(d.Subscriptions) != 1 {
		t.Fatalf("design = %+v", d)
	}
	ev := d.Events[0]
	if ev.App != "Shop" || ev.Name != "OrderPlaced" || !ev.Public {
		t.Fatalf("event = %+v (public because Billing receives it)", ev)
	}
	want := []design.Parameter{{Name: "id", Type: design.Text, Mandatory: true}, {Name: "count", Type: design.Integer}, {Name: "when", Type: design.DateTime}, {Name: "ref", Type: design.Identifier}}
	if !slices.Equal(ev.Parameters, want) {
		t.Fatalf("parameters = %+v", ev.Parameters)
	}
	if s := d.Subscriptions[0]; s.App != "Billing" || s.Event.String() != "Shop.OrderPlaced" || s.Handler.Kind != design.KindFlow || !s.Enabled {
		t.Fatalf("subscription = %+v", s)
	}
}

func TestImportReportsEveryUnrepresentablePartByPath(t *testing.T) {
	doc := `{"asyncapi":"3.0.0","info":{"title":"t","version":"1"},
	"channels":{
	  "a":{"address":"a","messages":{"A":{"payload":{"type":"object","properties":{"items":{"type":"array"},"ok":{"type":"boolean"}}}}}},
	  "b":{"address":"b","messages":{"B1":{},"B2":{}}},
	  "c":{"address":"c","messages":{"C":{"payload":{"type":"string"}}}},
	  "d":{"address":"d","messages":{"D":{}}}},
	"operations":{
	  "sa":{"action":"send","channel":{"$ref":"#/channels/a"},"tags":[{"name":"Shop"}]},
	  "sb":{"action":"send","channel":{"$ref":"#/channels/b"},"x-eventloom-app":"Shop"},
	  "sc":{"action":"send","channel":{"$ref":"#/channels/c"},"tags":[{"name":"Shop"}]},
	  "sx":{"action":"send","channel":{"$ref":"#/channels/nope"},"tags":[{"name":"Shop"}]},
	  "ra":{"action":"receive","channel":{"$ref":"#/channels/a"}},
	  "rh":{"action":"receive","channel":{"$ref":"#/channels/a"},"tags":[{"name":"Mail"}],"x-eventloom-handler":{"kind":"flow","bogus":1}}}}`
	_, err := asyncapi.Import([]byte(doc))
	if err == nil {
		t.Fatal("a document with unrepresentable parts was accepted")
	}
	got := map[string]string{}
	for _, e := range fault.All(err) {
		got[e.Field] = e.Code
	}
	want := map[string]string{
		"channels.a.messages.A.payload.properties.items": "unsupported_type",
		"channels.b.messages":                            "one_message",
		"channels.c.messages.C.payload.type":             "not_an_object",
		"channels.d":                                     "no_owner",
		"operations.sx.channel":                          "bad_reference",
		"operations.ra":                                  "no_app",
		"operations.rh.x-eventloom-handler":              "invalid_handler",
	}
	for path, code := range want {
		if got[path] != code {
			t.Errorf("%s: code %q, want %q (all: %v)", path, got[path], code, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("problems = %v, want exactly %v", got, want)
	}
}

func TestImportRefusesOtherVersionsAndNonJSON(t *testing.T) {
	for _, doc := range []string{`{"asyncapi":"2.6.0","info":{"title":"t","version":"1"}}`, `not json`} {
		_, err := asyncapi.Import([]byte(doc))
		if all := fault.All(err); len(all) != 1 || all[0].Message == "" {
			t.Errorf("%s: err = %v", doc, err)
		}
	}
}

func TestYAMLExportValidatesAndImportsBack(t *testing.T) {
	first := export(t, demoDesign(t))
	y, err := asyncapi.ToYAML(first)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.HasPrefix(bytes.TrimSpace(y), []byte("{")) || !bytes.Contains(y, []byte("asyncapi: 3.0.0")) {
		t.Fatalf("not block YAML:\n%s", y[:min(len(y), 400)])
	}
	back, err := asyncapi.FromYAML(y)
	if err != nil {
		t.Fatal(err)
	}
	schematest.Validate(t, schematest.Compile(t, asyncapiSchema), back)
	d, err := asyncapi.Import(y)
	if err != nil {
		t.Fatalf("import of the YAML export: %v", err)
	}
	if again := export(t, d); !bytes.Equal(first, again) {
		t.Fatalf("JSON -> YAML -> import -> export differs:\n%s\n---\n%s", first, again)
	}
}

func TestYAMLImportRefusesWhatJSONCannotCarry(t *testing.T) {
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n" +
		"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n" +
		"g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
	for name, doc := range map[string]string{
		"alias bomb":   bomb,
		"not a number": "asyncapi: 3.0.0\nx: .nan\n",
		"complex key":  "asyncapi: 3.0.0\n? [a, b]\n: c\n",
		"not YAML":     "asyncapi: [3.0.0\n",
	} {
		_, err := asyncapi.Import([]byte(doc))
		if all := fault.All(err); len(all) != 1 || all[0].Code != "malformed_asyncapi" {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
