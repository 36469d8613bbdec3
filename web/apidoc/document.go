// Package apidoc is the one description of Eventloom's REST API: a table
// of its operations (Operations), the OpenAPI 3.1 document built from it
// (Document), served at /api/v1/openapi.json, and what the console's
// reference page shows. A test in package web holds the table equal to
// the routes the server registers, so neither drifts.
//
// apidoc imports only engine/design (for the parameter types); it must
// never import web, store or echo.
package apidoc

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Op is one REST operation as the OpenAPI document and the console's
// reference page describe it. The table of them (Operations) is the
// one place the REST API is described; a test holds it equal to the
// routes the server registers.
type Op struct {
	Method, Path string // Path in OpenAPI form: /api/v1/apps/{app}
	ID           string // operationId, the handler's name
	Tag          string
	Summary      string
	Description  string
	// Auth is "admin" (the admin token), "key" (an app key of the owner,
	// or the admin token) or "none".
	Auth  string
	Query []Param
	Body  *Body
	OK    Answer
	// Also are further success answers (a dry run's 200 beside 202).
	Also   []Answer
	Errors []int // statuses of the error answers beyond 401 and 500
}

// Param is a query parameter (path parameters come from the path).
type Param struct {
	Name, Type, Description string
	Enum                    []string
}

// Body is a request body: a schema (a component name) and an example.
type Body struct {
	Schema, ContentType, Example string
}

// Answer is the success answer: its status, what it holds, and the
// schema (a component name; "" when there is no body).
type Answer struct {
	Status       int
	Description  string
	Schema       string
	ContentType  string
	LocationHead bool
}

// pathParamText describes every path parameter once.
var pathParamText = map[string]string{
	"app":    "The app's name, e.g. Storefront.",
	"event":  "The event's name within its app, e.g. OnPurchaseStarted.",
	"ref":    "The handled event as Producer.EventName, e.g. Storefront.OnPurchaseStarted.",
	"id":     "A positive whole-number id.",
	"n":      "A design version number, 1 or more.",
	"replay": "A bulk action's id, as POST /api/v1/replays answered it.",
}

// ErrorText says when each error status is answered.
var ErrorText = map[int]string{
	http.StatusBadRequest:            "The request cannot be read: malformed JSON, a bad id or query parameter.",
	http.StatusUnauthorized:          "Missing or wrong credentials.",
	http.StatusForbidden:             "The caller may not do this: e.g. an app key triggering another app's event.",
	http.StatusNotFound:              "No such app, event, subscription, key, occurrence or delivery.",
	http.StatusConflict:              "The name exists already, the thing is still referenced, or the change breaks subscriptions (code breaking_change, error.breaks lists them; repeat with confirm=breaking to make it anyway).",
	http.StatusRequestEntityTooLarge: "The body is over the limit (a trigger's payload limit, 10 KB by default; 4 MiB elsewhere).",
	http.StatusUnprocessableEntity:   "The request breaks a rule; details lists every problem with its field.",
	http.StatusTooManyRequests:       "The event's queue is full (Retry-After says when to try again), or too many failed sign-ins.",
	http.StatusInternalServerError:   "Something went wrong on the server; the log has the details under requestId.",
	http.StatusServiceUnavailable:    "The server is shutting down or did not finish in time (code shutting_down, timed_out or canceled); try again in a moment.",
}

// Tag is a group of operations, in the order the reference shows them.
type Tag struct{ Name, Description string }

// Tags are the groups of the operations.
func Tags() []Tag {
	return []Tag{
		{"Apps", "Deployable units that own and handle events."},
		{"Events", "Event types, their parameters, and triggering them."},
		{"Subscriptions", "Which app handles which event with which handler."},
		{"Keys", "API keys an app triggers its events with (shown once, stored hashed)."},
		{"Pull", "External workers receiving a pull subscription's deliveries with the handling app's key."},
		{"Runtime", "Occurrences, deliveries, traces, dead letters and live counters."},
		{"Design", "The whole design at once: export, import, lint, layout, backup, audit and the API descriptions."},
		{"Users", "Console accounts with a role, and their API tokens (admin only)."},
		{"Alerts", "Operational alerts (a delivery died, an endpoint keeps failing, a queue filling up, an app at its concurrency limit) and the signed webhook they are sent to."},
	}
}

// PathParamText describes a path parameter.
func PathParamText(name string) string { return pathParamText[name] }

// PathParams lists the {names} of an OpenAPI path in order.
func PathParams(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, seg[1:len(seg)-1])
		}
	}
	return out
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

func content(contentType, schema string) map[string]any {
	if contentType == "" {
		contentType = "application/json"
	}
	s := map[string]any{"type": "string", "format": "binary"}
	if schema != "" {
		s = ref(schema)
	}
	return map[string]any{contentType: map[string]any{"schema": s}}
}

// Document builds the OpenAPI 3.1 document of the REST API, its
// server being serverURL (the address the request came to).
func Document(serverURL string) map[string]any {
	paths := map[string]any{}
	for _, op := range Operations() {
		item, _ := paths[op.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[op.Path] = item
		}
		item[strings.ToLower(op.Method)] = openAPIOperation(op)
	}
	var tags []any
	for _, t := range Tags() {
		tags = append(tags, map[string]any{"name": t.Name, "description": t.Description})
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "Eventloom REST API",
			"version": "1",
			"description": "Design apps, events and subscriptions, trigger events and follow their deliveries. " +
				"Every error answer is {\"error\":{\"code\",\"message\",\"field\"},\"details\":[...]} with the status its kind maps to. " +
				"The design's event contracts are described separately as AsyncAPI 3.0 at GET /api/v1/design/asyncapi.",
		},
		"servers":    []any{map[string]any{"url": serverURL}},
		"tags":       tags,
		"paths":      paths,
		"components": openAPIComponents(),
	}
}

func openAPIOperation(op Op) map[string]any {
	o := map[string]any{"operationId": op.ID, "tags": []string{op.Tag}, "summary": op.Summary}
	if op.Description != "" {
		o["description"] = op.Description
	}
	switch op.Auth {
	case "key":
		o["security"] = []any{map[string]any{"appKey": []string{}}, map[string]any{"adminToken": []string{}}}
	case "none":
		o["security"] = []any{}
	default:
		o["security"] = []any{map[string]any{"adminToken": []string{}}}
	}
	var params []any
	for _, name := range PathParams(op.Path) {
		params = append(params, map[string]any{"name": name, "in": "path", "required": true, "description": pathParamText[name], "schema": map[string]any{"type": "string"}})
	}
	for _, q := range op.Query {
		s := map[string]any{"type": q.Type}
		if len(q.Enum) > 0 {
			s["enum"] = q.Enum
		}
		params = append(params, map[string]any{"name": q.Name, "in": "query", "description": q.Description, "schema": s})
	}
	if len(params) > 0 {
		o["parameters"] = params
	}
	if op.Body != nil {
		c := content(op.Body.ContentType, op.Body.Schema)
		var ex any
		if err := json.Unmarshal([]byte(op.Body.Example), &ex); err == nil {
			for _, v := range c {
				v.(map[string]any)["example"] = ex
			}
		}
		o["requestBody"] = map[string]any{"required": true, "content": c}
	}
	responses := map[string]any{}
	for _, a := range append([]Answer{op.OK}, op.Also...) {
		r := map[string]any{"description": a.Description}
		if a.Schema != "" || a.ContentType != "" {
			r["content"] = content(a.ContentType, a.Schema)
		}
		if a.LocationHead {
			r["headers"] = map[string]any{"Location": map[string]any{"description": "The URL of what was created.", "schema": map[string]any{"type": "string"}}}
		}
		responses[strconv.Itoa(a.Status)] = r
	}
	for _, status := range ErrorStatuses(op) {
		responses[strconv.Itoa(status)] = map[string]any{"$ref": "#/components/responses/E" + strconv.Itoa(status)}
	}
	o["responses"] = responses
	return o
}

// ErrorStatuses are the error answers of op: its own, plus 500 and 503
// (shutting down) on every route, and 401, 403 (a role without the
// route's right) and 429 (throttled wrong tokens) on every route that
// takes credentials.
func ErrorStatuses(op Op) []int {
	out := append([]int{http.StatusInternalServerError, http.StatusServiceUnavailable}, op.Errors...)
	if op.Auth != "none" {
		// A client sending too many wrong tokens is throttled on any route.
		out = append(out, http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
