package apidoc

import (
	"slices"
	"strconv"
	"strings"

	"github.com/eventloom/eventloom/engine/design"
)

func str(desc string) map[string]any { return map[string]any{"type": "string", "description": desc} }
func integer(desc string) map[string]any {
	return map[string]any{"type": "integer", "format": "int64", "description": desc}
}
func boolean(desc string) map[string]any {
	return map[string]any{"type": "boolean", "description": desc}
}
func when(desc string) map[string]any {
	return map[string]any{"type": "string", "format": "date-time", "description": desc}
}
func list(items map[string]any) map[string]any {
	return map[string]any{"type": "array", "items": items}
}
func enum(desc string, values ...string) map[string]any {
	return map[string]any{"type": "string", "enum": values, "description": desc}
}

// object is a JSON object schema; required names its required members.
func object(props map[string]any, required ...string) map[string]any {
	o := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func pageOf(item string) map[string]any {
	return object(map[string]any{
		"items":      list(ref(item)),
		"nextCursor": str("Present when there may be more: pass it as ?cursor= for the next page."),
	}, "items")
}

func itemsOf(item string) map[string]any {
	return object(map[string]any{"items": list(ref(item))}, "items")
}

// Field is one member of a body's schema, as the reference lists it.
type Field struct {
	Name, Type, Description string
	Required                bool
}

// SchemaFields lists the members of the component schema name, in name
// order; none for a schema that is not an object of known members.
func SchemaFields(name string) []Field {
	s, _ := openAPIComponents()["schemas"].(map[string]any)[name].(map[string]any)
	props, _ := s["properties"].(map[string]any)
	required, _ := s["required"].([]string)
	var out []Field
	for n, p := range props {
		p := p.(map[string]any)
		t, _ := p["type"].(string)
		if r, ok := p["$ref"].(string); ok {
			t = strings.TrimPrefix(r, "#/components/schemas/")
		}
		if items, ok := p["items"].(map[string]any); ok {
			it, _ := items["type"].(string)
			if r, ok := items["$ref"].(string); ok {
				it = strings.TrimPrefix(r, "#/components/schemas/")
			}
			t = "list of " + it
		}
		if e, ok := p["enum"].([]string); ok {
			t = strings.Join(e, " | ")
		}
		d, _ := p["description"].(string)
		out = append(out, Field{Name: n, Type: t, Description: d, Required: slices.Contains(required, n)})
	}
	slices.SortFunc(out, func(a, b Field) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func paramTypeNames() []string {
	var out []string
	for _, t := range design.ParamTypes() {
		out = append(out, string(t))
	}
	return out
}

// openAPIComponents are the schemas, shared error answers and security
// schemes the operations refer to. The schemas follow the JSON the
// handlers write (the json tags of the engine's types).
func openAPIComponents() map[string]any {
	problem := object(map[string]any{
		"code":    str("Stable, machine-readable, snake_case: e.g. text_too_long, not_owner, queue_full."),
		"message": str("What went wrong and how to fix it."),
		"field":   str("The field or parameter concerned, when there is one."),
		"refs":    list(str("A related name")),
		"breaks":  list(ref("Break")),
	}, "code", "message")
	schemas := map[string]any{
		"Problem": problem,
		"Error": object(map[string]any{
			"error":     ref("Problem"),
			"details":   list(ref("Problem")),
			"requestId": str("Given on a 500: the id under which the log has the details."),
		}, "error"),
		"App": object(map[string]any{
			"name":          str("Unique identifier: a letter, then letters, digits or _."),
			"description":   str(""),
			"color":         str("#rrggbb the console draws the app in."),
			"concurrency":   map[string]any{"type": "integer", "description": "Most handler runs at once; 0 means the default (100)."},
			"endpoint":      str("The URL webhook handlers POST to."),
			"events":        map[string]any{"type": "integer", "description": "In lists: how many events the app owns."},
			"subscriptions": map[string]any{"type": "integer", "description": "In lists: how many events the app handles."},
		}, "name"),
		"Parameter": object(map[string]any{
			"name":        str(""),
			"type":        enum("A primitive type.", paramTypeNames()...),
			"mandatory":   boolean(""),
			"description": str(""),
		}, "name", "type"),
		"Event": object(map[string]any{
			"app":         str("The owner; taken from the path when creating."),
			"name":        str("Unique within the app."),
			"public":      boolean("Whether other apps may handle it."),
			"description": str(""),
			"parameters":  list(ref("Parameter")),
			"subscribers": list(str("An app handling the event (in GET of one event).")),
		}, "name"),
		"Step": object(map[string]any{
			"type":        enum("", "log", "wait", "trigger", "fail", "http"),
			"method":      enum("http: the request's method (default POST).", "GET", "POST", "PUT", "PATCH", "DELETE"),
			"url":         str("http: a template of the http(s) URL to call."),
			"headers":     map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}, "description": "http: header name -> template."},
			"body":        str("http: a template of the request body."),
			"message":     str("log and fail: a template whose {{expr}} parts are expressions."),
			"duration":    str("wait: a Go duration such as 30s."),
			"event":       str("trigger: one of the handling app's own events."),
			"parameters":  map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}, "description": "trigger: target parameter -> expression."},
			"when":        str("fail: a boolean expression; empty means always."),
			"probability": map[string]any{"type": "number", "description": "fail: 0 means 1."},
		}, "type"),
		"Handler": object(map[string]any{
			"kind":  enum("What runs for each delivery.", "flow", "go", "webhook", "pull"),
			"steps": list(ref("Step")),
			"name":  str("go: the registered function's name."),
			"path":  str("webhook: appended to the app's endpoint, e.g. /orders."),
		}, "kind"),
		"Subscription": object(map[string]any{
			"app":     str("The handling app."),
			"event":   str("The handled event as Producer.EventName."),
			"handler": ref("Handler"),
			"filter":  str("A boolean expression over the event's parameters: only occurrences for which it holds get a delivery."),
			"enabled": boolean("false: occurrences create no delivery for it."),
			"paused":  boolean("true: deliveries wait until resumed."),
		}, "event", "handler"),
		"Design": object(map[string]any{
			"apps":          list(ref("App")),
			"events":        list(ref("Event")),
			"subscriptions": list(ref("Subscription")),
		}, "apps", "events", "subscriptions"),
		"Change": object(map[string]any{
			"action": enum("", "create", "update", "delete"),
			"kind":   enum("", "app", "event", "subscription"),
			"name":   str("The app, Producer.Event, or App:Producer.Event."),
		}, "action", "kind", "name"),
		"ImportResult": object(map[string]any{"dryRun": boolean(""), "changes": list(ref("Change")), "breaks": list(ref("Break"))}, "dryRun", "changes", "breaks"),
		"Alert": object(map[string]any{
			"id": integer("Numbers this process's alerts from 1."), "at": when(""),
			"kind": enum("", "delivery_dead", "endpoint_failing", "queue_filling", "app_at_limit"),
			"app":  str("The app concerned."), "event": str("Producer.Event, when one is concerned."),
			"deliveryId": integer("The dead delivery (delivery_dead)."), "message": str("What happened and what to do."),
		}, "id", "at", "kind", "message"),
		"AlertPage":       pageOf("Alert"),
		"AlertWebhook":    object(map[string]any{"url": str("Where alerts are POSTed; empty when nowhere."), "secret": str("whsec_ and base64: only in the answer that set it.")}, "url"),
		"AlertWebhookSet": object(map[string]any{"url": str("An absolute http or https URL.")}, "url"),
		"Break": object(map[string]any{
			"subscription": str("The subscription broken, App:Producer.Event."),
			"reason":       str("What breaks it, e.g. parameter Amount removed."),
		}, "subscription", "reason"),
		"Key": object(map[string]any{
			"id": integer(""), "app": str(""), "prefix": str("The key's public start, to tell keys apart."), "createdAt": when(""),
		}, "id", "prefix"),
		"NewKey": object(map[string]any{
			"id": integer(""), "key": str("The key itself: shown this once, stored hashed."), "prefix": str(""), "createdAt": when(""),
		}, "id", "key"),
		"Parameters": map[string]any{"type": "object", "description": "The event's parameters by name, each of its parameter's type.", "additionalProperties": true},
		"TriggerResult": object(map[string]any{
			"occurrenceId": integer(""), "traceId": integer(""), "deliveries": map[string]any{"type": "integer", "description": "How many deliveries were created."},
		}, "occurrenceId", "traceId", "deliveries"),
		"DryRun": object(map[string]any{
			"event":         str("Producer.EventName"),
			"parameters":    ref("Parameters"),
			"subscriptions": list(map[string]any{"type": "object", "description": "What each subscription would do: app, handler, delivery, note, steps, refusals."}),
		}, "event"),
		"Attempt": object(map[string]any{
			"number": map[string]any{"type": "integer"}, "startedAt": when(""), "finishedAt": when(""),
			"outcome": str(""), "error": str(""), "log": list(str("")),
		}, "number", "outcome"),
		"Delivery": object(map[string]any{
			"id": integer(""), "occurrenceId": integer(""), "app": str("The handling app."),
			"status":   enum("", "pending", "running", "retrying", "succeeded", "dead", "discarded"),
			"attempts": map[string]any{"type": "integer"}, "nextAttemptAt": when(""), "lastError": str(""),
			"createdAt": when(""), "updatedAt": when(""), "attemptList": list(ref("Attempt")),
		}, "id", "occurrenceId", "app", "status"),
		"Occurrence": object(map[string]any{
			"id": integer(""), "app": str("The producer."), "event": str(""), "traceId": integer(""),
			"parentDeliveryId": integer("The delivery whose flow triggered it."), "parameters": ref("Parameters"),
			"createdAt": when(""), "status": enum("", "pending", "completed", "dead"), "deliveries": list(ref("Delivery")),
		}, "id", "app", "event", "traceId", "status"),
		"Trace": object(map[string]any{
			"traceId": integer(""), "occurrences": list(ref("Occurrence")), "nextCursor": str(""),
		}, "traceId", "occurrences"),
		"Stats": object(map[string]any{
			"deliveriesLastHour": map[string]any{"type": "object", "description": "Deliveries by status in the last hour.", "additionalProperties": map[string]any{"type": "integer"}},
			"queues": map[string]any{"type": "object", "description": "Per event type (Producer.EventName): pending occurrences against the queue's cap.",
				"additionalProperties": object(map[string]any{"event": str(""), "pending": map[string]any{"type": "integer"}, "cap": map[string]any{"type": "integer"}}, "event", "pending", "cap")},
			"inFlight": map[string]any{"type": "object", "description": "Handler runs per app.", "additionalProperties": true},
		}),
		"StatsSeries": statsSeriesSchema(),
		"Timeline": object(map[string]any{
			"since": when("The window's start (inclusive)."), "until": when("The window's end (exclusive)."),
			"items": list(object(map[string]any{
				"seq":  integer("The item's place in the window, from 1."),
				"kind": enum("What happened, as the live view reported it.", "occurrence.triggered", "delivery.started", "delivery.succeeded", "delivery.failed", "delivery.dead", "delivery.discarded"),
				"at":   when(""), "traceId": integer(""), "occurrenceId": integer(""), "deliveryId": integer(""),
				"parentDeliveryId": integer("The delivery whose flow triggered the occurrence."), "subscriptionId": integer(""),
				"app":   str("The producer of an occurrence, the handling app of a delivery."),
				"event": str("Producer.EventName"), "attempt": map[string]any{"type": "integer"}, "error": str("A failed attempt's error."),
				"nextAttemptAt": when("When a failed attempt's retry was due."),
			}, "seq", "kind", "at", "app", "event")),
		}, "since", "until", "items"),
		"Finding": object(map[string]any{
			"code": str(""), "subject": str(""), "path": list(str("")), "message": str(""),
		}, "code", "message"),
		"Layout": object(map[string]any{
			"positions": map[string]any{"type": "object", "description": "Graph node (app:Name or event:App.Name) -> position.",
				"additionalProperties": object(map[string]any{"x": map[string]any{"type": "number"}, "y": map[string]any{"type": "number"}}, "x", "y")},
		}, "positions"),
		"AuditEntry": map[string]any{"type": "object", "description": "Who did what to which thing, when and from where, with a summary.", "additionalProperties": true},
		"AsyncAPI": map[string]any{"type": "object", "required": []string{"asyncapi"}, "additionalProperties": true,
			"description": "An AsyncAPI 3.0 document (https://www.asyncapi.com/docs/reference/specification/v3.0.0)."},
		"DesignOrAsyncAPI": map[string]any{"anyOf": []any{ref("Design"), ref("AsyncAPI")},
			"description": "A design as exported, or an AsyncAPI 3.0 document (sent as application/vnd.aai.asyncapi+json, or recognised by its asyncapi member)."},
		"OpenAPI": map[string]any{"type": "object", "description": "This OpenAPI 3.1 document.", "additionalProperties": true},
		"Verdicts": object(map[string]any{
			"occurrenceId": integer(""),
			"verdicts": list(object(map[string]any{
				"app":           str("An app of the design, or one that got a delivery."),
				"verdict":       enum("What became of the occurrence for the app.", "delivered", "running", "retrying", "dead", "discarded", "waiting", "not_subscribed", "subscribed_later", "disabled", "private", "filtered"),
				"reason":        str("Why, in a sentence."),
				"deliveryId":    integer(""),
				"attempts":      map[string]any{"type": "integer"},
				"at":            when("When the verdict came about."),
				"nextAttemptAt": when(""),
				"lastError":     str(""),
				"ahead":         map[string]any{"type": "integer", "description": "Older deliveries a waiting one is behind."},
			}, "app", "verdict", "reason")),
		}, "occurrenceId", "verdicts"),
		"DesignVersion": object(map[string]any{
			"version": integer("Numbers the design's states from 1."), "at": when(""), "actor": str("Who made the change."),
			"summary": str("What changed, in a line."), "design": ref("Design"),
		}, "version", "at", "actor", "summary"),
		"DesignDiff": object(map[string]any{
			"from": integer(""), "to": integer("0: the current design."),
			"changes": list(object(map[string]any{
				"action": enum("", "create", "update", "delete"), "kind": enum("", "app", "event", "subscription"),
				"name": str("The app, Producer.Event, or App:Producer.Event."), "details": list(str("")),
				"breaking": boolean("The change breaks subscribers of the event."), "breaks": list(str("A subscription it breaks, App:Producer.Event.")),
			}, "action", "kind", "name")),
		}, "from", "to", "changes"),
		"Secret": map[string]any{"type": "object", "description": "The new signing secret (shown once) and until when the previous one keeps signing.", "additionalProperties": true,
			"required": []string{"secret"}, "properties": map[string]any{"secret": str("whsec_ and base64.")}},
		"BatchItems":  map[string]any{"type": "array", "items": map[string]any{"description": "A parameter object (any other item is refused on its own)."}, "description": "Up to 500 parameter objects (more is refused with 413)."},
		"BatchResult": map[string]any{"type": "object", "description": "Per item: accepted with its ids, or refused with its error.", "additionalProperties": true},
		"PulledDeliveries": list(object(map[string]any{
			"lockToken": str("Pass it to ack, release, reject or extend."), "deliveryId": integer(""), "attempt": map[string]any{"type": "integer"},
			"lockedUntil": when(""), "event": map[string]any{"type": "object", "description": "The CloudEvent.", "additionalProperties": true},
		}, "lockToken", "deliveryId", "attempt", "lockedUntil", "event")),
		"LockRequest": object(map[string]any{
			"lockTokens": list(str("")), "delaySeconds": map[string]any{"type": "integer", "description": "release: retry after this many seconds instead of the schedule's wait."},
			"reason": str("reject: why the delivery is dead."), "seconds": map[string]any{"type": "integer", "description": "extend: move the lock this far ahead."},
		}, "lockTokens"),
		"LockResult": map[string]any{"type": "object", "description": "Which lock tokens succeeded, and why each other failed.", "additionalProperties": true},
	}
	schemas["DesignVersionPage"] = pageOf("DesignVersion")
	anyObject := func(desc string) map[string]any {
		return map[string]any{"type": "object", "description": desc, "additionalProperties": true}
	}
	schemas["User"] = object(map[string]any{"name": str(""), "role": enum("", "admin", "designer", "operator", "viewer")}, "name", "role")
	schemas["User"].(map[string]any)["additionalProperties"] = true
	schemas["NewUser"] = object(map[string]any{"name": str(""), "role": enum("", "admin", "designer", "operator", "viewer"), "password": str("At least the admin token's minimum length.")}, "name", "role", "password")
	schemas["UserPatch"] = object(map[string]any{"role": enum("", "admin", "designer", "operator", "viewer"), "password": str("")})
	schemas["UserList"], schemas["UserTokenList"] = itemsOf("User"), itemsOf("UserToken")
	schemas["UserToken"] = anyObject("An API token of an account: id, prefix, when made and revoked.")
	schemas["NewUserToken"] = object(map[string]any{"id": integer(""), "token": str("elu_...: shown this once, stored hashed."), "prefix": str(""), "createdAt": when("")}, "id", "token")
	schemas["AppList"], schemas["EventList"], schemas["SubscriptionList"] = itemsOf("App"), itemsOf("Event"), itemsOf("Subscription")
	schemas["KeyList"], schemas["Findings"] = itemsOf("Key"), itemsOf("Finding")
	schemas["OccurrencePage"], schemas["DeliveryPage"], schemas["AuditPage"] = pageOf("Occurrence"), pageOf("Delivery"), pageOf("AuditEntry")
	replaySchemas(schemas)
	// A PATCH body holds only the fields to change: the same members,
	// none required.
	for _, name := range []string{"App", "Event", "Subscription"} {
		patch := map[string]any{}
		for k, v := range schemas[name].(map[string]any) {
			if k != "required" {
				patch[k] = v
			}
		}
		schemas[name+"Patch"] = patch
	}
	responses := map[string]any{}
	for status, text := range ErrorText {
		responses["E"+strconv.Itoa(status)] = map[string]any{"description": text, "content": content("", "Error")}
	}
	return map[string]any{
		"schemas":   schemas,
		"responses": responses,
		"securitySchemes": map[string]any{
			"adminToken": map[string]any{"type": "http", "scheme": "bearer", "description": "The admin token (printed when the server first started, or EVENTLOOM_ADMIN_TOKEN)."},
			"appKey":     map[string]any{"type": "http", "scheme": "bearer", "description": "An API key of the app that owns the event."},
		},
	}
}
