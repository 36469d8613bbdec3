package apidoc

import "net/http"

// Error statuses, short.
const (
	e400 = http.StatusBadRequest
	e403 = http.StatusForbidden
	e404 = http.StatusNotFound
	e409 = http.StatusConflict
	e413 = http.StatusRequestEntityTooLarge
	e422 = http.StatusUnprocessableEntity
	e429 = http.StatusTooManyRequests
)

var (
	qCascade = Param{Name: "cascade", Type: "boolean", Description: "true also removes the subscriptions that would otherwise refuse it (like confirm=breaking)."}
	qConfirm = Param{Name: "confirm", Type: "string", Description: "breaking: make the change even though it breaks subscriptions (a parameter removed, retyped or made mandatory; an event made private or deleted while other apps handle it). Without it such a change answers 409 breaking_change with the breaks listed and changes nothing."}
	qDryRun  = Param{Name: "dryRun", Type: "boolean", Description: "true checks and reports without changing anything."}
	qApp     = Param{Name: "app", Type: "string", Description: "Only this app's."}
	qEvent   = Param{Name: "event", Type: "string", Description: "Only this event's, as Producer.EventName."}
	qSince   = Param{Name: "since", Type: "string", Description: "Only from this RFC 3339 time on."}
	qUntil   = Param{Name: "until", Type: "string", Description: "Only before this RFC 3339 time."}
	qCursor  = Param{Name: "cursor", Type: "integer", Description: "The nextCursor of the page before."}
	qLimit   = Param{Name: "limit", Type: "integer", Description: "Page size, 1 to 500; default 50."}
	qTrace   = Param{Name: "trace", Type: "integer", Description: "Only this trace's."}
	// qParam stands for the payload search conditions, one query
	// parameter per condition, named param. and the parameter's name.
	qParam = Param{Name: "param.{Name}", Type: "string", Description: "Payload search: only occurrences whose parameter Name matches. " +
		"param.CustomerEmail=ann@example.com matches exactly; for numbers, dates, times and date-times param.Amount=10..99 is an inclusive range " +
		"(either end may be left out: param.Amount=10.., param.Amount=..99), and a date-time may be given as a date (param.When=2026-01-01 is that whole day, UTC). " +
		"Values are checked against the parameter's type (in the event given by event, else in every event that has the parameter); " +
		"a name no event has, a value of the wrong type or a reversed range is a 400 naming the condition. Several conditions must all hold."}
)

var pageQuery = []Param{qSince, qUntil, qCursor, qLimit}

func ok(schema, desc string) Answer {
	return Answer{Status: http.StatusOK, Schema: schema, Description: desc}
}
func createdAnswer(schema, desc string) Answer {
	return Answer{Status: http.StatusCreated, Schema: schema, Description: desc, LocationHead: true}
}

var noContent = Answer{Status: http.StatusNoContent, Description: "Done; no body."}

func body(schema, example string) *Body { return &Body{Schema: schema, Example: example} }

// Operations is every route under /api/v1, described once.
func Operations() []Op {
	sub := "/api/v1/apps/{app}/subscriptions/{ref}"
	return append([]Op{
		{Method: "GET", Path: "/api/v1/apps", ID: "listApps", Tag: "Apps", Summary: "List apps, with how many events each owns and handles", OK: ok("AppList", "The apps.")},
		{Method: "POST", Path: "/api/v1/apps", ID: "createApp", Tag: "Apps", Summary: "Create an app", Body: body("App", `{"name":"Storefront","description":"the web shop"}`), OK: createdAnswer("App", "The app as stored."), Errors: []int{e400, e409, e413, e422}},
		{Method: "GET", Path: "/api/v1/apps/{app}", ID: "getApp", Tag: "Apps", Summary: "Get an app", OK: ok("App", "The app."), Errors: []int{e404}},
		{Method: "PATCH", Path: "/api/v1/apps/{app}", ID: "patchApp", Tag: "Apps", Summary: "Change an app's fields (absent ones stay); a new name renames it everywhere", Body: body("AppPatch", `{"concurrency":20}`), OK: ok("App", "The app afterwards."), Errors: []int{e400, e404, e409, e413, e422}},
		{Method: "DELETE", Path: "/api/v1/apps/{app}", ID: "deleteApp", Tag: "Apps", Summary: "Delete an app with its events and keys", Query: []Param{qCascade, qConfirm}, OK: noContent, Errors: []int{e400, e404, e409}},

		{Method: "GET", Path: "/api/v1/apps/{app}/events", ID: "listEvents", Tag: "Events", Summary: "List the events an app owns", OK: ok("EventList", "The events."), Errors: []int{e404}},
		{Method: "POST", Path: "/api/v1/apps/{app}/events", ID: "createEvent", Tag: "Events", Summary: "Create an event owned by the app", Body: body("Event", `{"name":"OnPurchaseStarted","public":true,"parameters":[{"name":"ProductId","type":"Identifier","mandatory":true}]}`), OK: createdAnswer("Event", "The event as stored."), Errors: []int{e400, e404, e409, e413, e422}},
		{Method: "GET", Path: "/api/v1/apps/{app}/events/{event}", ID: "getEvent", Tag: "Events", Summary: "Get an event with the apps handling it", OK: ok("Event", "The event and its subscribers."), Errors: []int{e404}},
		{Method: "PATCH", Path: "/api/v1/apps/{app}/events/{event}", ID: "patchEvent", Tag: "Events", Summary: "Change an event (absent fields stay)", Query: []Param{qCascade, qConfirm}, Body: body("EventPatch", `{"public":false}`), OK: ok("Event", "The event afterwards."), Errors: []int{e400, e404, e409, e413, e422}},
		{Method: "DELETE", Path: "/api/v1/apps/{app}/events/{event}", ID: "deleteEvent", Tag: "Events", Summary: "Delete an event", Query: []Param{qCascade, qConfirm}, OK: noContent, Errors: []int{e400, e404, e409}},
		{Method: "POST", Path: "/api/v1/apps/{app}/events/{event}/trigger", ID: "trigger", Tag: "Events", Auth: "key",
			Summary:     "Trigger an event",
			Description: "Only the owner triggers its events. The body is a JSON object of the parameters (or key=value form fields, read by each parameter's type). Every reason for a refusal is in details. With dryRun=true nothing is stored and the answer says what each subscription would do.",
			Query:       []Param{qDryRun}, Body: body("Parameters", `{"ProductId":"P-1","Quantity":2}`),
			OK:     Answer{Status: http.StatusAccepted, Schema: "TriggerResult", Description: "Stored: the occurrence, its trace and how many deliveries were made.", LocationHead: true},
			Also:   []Answer{{Status: http.StatusOK, Schema: "DryRun", Description: "dryRun=true: nothing was stored; what each subscription would do."}},
			Errors: []int{e400, e403, e404, e413, e422, e429}},

		{Method: "POST", Path: "/api/v1/apps/{app}/events/{event}/trigger:batch", ID: "triggerBatch", Tag: "Events", Auth: "key",
			Summary:     "Trigger up to 500 occurrences at once",
			Description: "The body is a JSON array of parameter objects, or a CloudEvents batch (application/cloudevents-batch+json). Each item is accepted or refused on its own; the accepted ones are committed together.",
			Body:        body("BatchItems", `[{"ProductId":"P-1","Quantity":2},{"ProductId":"P-2","Quantity":1}]`),
			OK:          ok("BatchResult", "Per item: accepted with its ids, or refused with its error."), Errors: []int{e400, e403, e404, e413, e429}},
		{Method: "POST", Path: "/api/v1/apps/{app}/secrets", ID: "rotateSecret", Tag: "Apps", Summary: "Create or rotate the app's webhook signing secret; the answer is the only time it is shown", OK: ok("Secret", "The new secret."), Errors: []int{e404}},
		{Method: "POST", Path: sub + "/receive", ID: "receive", Tag: "Pull", Auth: "key", Summary: "Long-poll for due deliveries of a pull subscription",
			Description: "With the handling app's key. Leases at most max deliveries (within the app's concurrency) for the handler timeout.",
			Query:       []Param{{Name: "max", Type: "integer", Description: "At most this many, 1 to 100; default 1."}, {Name: "wait", Type: "integer", Description: "Seconds to wait for one, 0 to 30."}},
			OK:          ok("PulledDeliveries", "The leased deliveries (none when the wait ran out)."), Errors: []int{e400, e403, e404, e409}},
		{Method: "POST", Path: sub + "/ack", ID: "ack", Tag: "Pull", Auth: "key", Summary: "Acknowledge handled deliveries", Body: body("LockRequest", `{"lockTokens":["..."]}`), OK: ok("LockResult", "Per token."), Errors: []int{e400, e403, e404, e409, e422}},
		{Method: "POST", Path: sub + "/release", ID: "release", Tag: "Pull", Auth: "key", Summary: "Release deliveries as failed attempts (retried on the schedule, or after delaySeconds)", Body: body("LockRequest", `{"lockTokens":["..."],"delaySeconds":30}`), OK: ok("LockResult", "Per token."), Errors: []int{e400, e403, e404, e409, e422}},
		{Method: "POST", Path: sub + "/reject", ID: "reject", Tag: "Pull", Auth: "key", Summary: "Make deliveries dead now", Body: body("LockRequest", `{"lockTokens":["..."],"reason":"unparseable"}`), OK: ok("LockResult", "Per token."), Errors: []int{e400, e403, e404, e409, e422}},
		{Method: "POST", Path: sub + "/extend", ID: "extend", Tag: "Pull", Auth: "key", Summary: "Extend locks while a handler runs", Body: body("LockRequest", `{"lockTokens":["..."],"seconds":60}`), OK: ok("LockResult", "Per token."), Errors: []int{e400, e403, e404, e409, e422}},
		{Method: "GET", Path: "/api/v1/apps/{app}/subscriptions", ID: "listSubscriptions", Tag: "Subscriptions", Summary: "List the events an app handles", OK: ok("SubscriptionList", "The subscriptions."), Errors: []int{e404}},
		{Method: "POST", Path: "/api/v1/apps/{app}/subscriptions", ID: "createSubscription", Tag: "Subscriptions", Summary: "Make the app handle an event (another app's only when public)", Body: body("Subscription", `{"event":"Storefront.OnPurchaseStarted","handler":{"kind":"flow","steps":[{"type":"log","message":"got {{ ProductId }}"}]}}`), OK: createdAnswer("Subscription", "The subscription as stored."), Errors: []int{e400, e403, e404, e409, e413, e422}},
		{Method: "GET", Path: sub, ID: "getSubscription", Tag: "Subscriptions", Summary: "Get a subscription", OK: ok("Subscription", "The subscription."), Errors: []int{e400, e404}},
		{Method: "PATCH", Path: sub, ID: "patchSubscription", Tag: "Subscriptions", Summary: "Change a subscription's handler or flags", Body: body("SubscriptionPatch", `{"enabled":false}`), OK: ok("Subscription", "The subscription afterwards."), Errors: []int{e400, e403, e404, e409, e413, e422}},
		{Method: "DELETE", Path: sub, ID: "deleteSubscription", Tag: "Subscriptions", Summary: "Stop handling the event", OK: noContent, Errors: []int{e400, e404}},
		{Method: "POST", Path: sub + "/pause", ID: "pauseSubscription", Tag: "Subscriptions", Summary: "Pause: deliveries are made but wait", OK: ok("Subscription", "The subscription afterwards."), Errors: []int{e400, e404}},
		{Method: "POST", Path: sub + "/resume", ID: "resumeSubscription", Tag: "Subscriptions", Summary: "Resume a paused subscription", OK: ok("Subscription", "The subscription afterwards."), Errors: []int{e400, e404}},

		{Method: "GET", Path: "/api/v1/apps/{app}/keys", ID: "listKeys", Tag: "Keys", Summary: "List an app's keys (prefixes only)", OK: ok("KeyList", "The keys."), Errors: []int{e404}},
		{Method: "POST", Path: "/api/v1/apps/{app}/keys", ID: "createKey", Tag: "Keys", Summary: "Make a key; the answer is the only time it is shown", OK: createdAnswer("NewKey", "The new key."), Errors: []int{e404}},
		{Method: "DELETE", Path: "/api/v1/apps/{app}/keys/{id}", ID: "revokeKey", Tag: "Keys", Summary: "Revoke a key", OK: noContent, Errors: []int{e400, e404}},

		{Method: "GET", Path: "/api/v1/occurrences", ID: "listOccurrences", Tag: "Runtime", Summary: "List occurrences, newest first",
			Query: append([]Param{qApp, qEvent, qTrace, {Name: "status", Type: "string", Enum: []string{"pending", "completed", "dead"}, Description: "Only occurrences in this state."}, qParam}, pageQuery...),
			OK:    ok("OccurrencePage", "One page."), Errors: []int{e400}},
		{Method: "GET", Path: "/api/v1/occurrences/{id}/verdicts", ID: "getVerdicts", Tag: "Runtime", Summary: "Why each app did or did not get the occurrence", OK: ok("Verdicts", "A verdict per app."), Errors: []int{e400, e404}},
		{Method: "GET", Path: "/api/v1/occurrences/{id}", ID: "getOccurrence", Tag: "Runtime", Summary: "Get an occurrence with its deliveries and their attempts", OK: ok("Occurrence", "The occurrence."), Errors: []int{e400, e404}},
		{Method: "GET", Path: "/api/v1/traces/{id}", ID: "getTrace", Tag: "Runtime", Summary: "Get a trace: every occurrence of a chain, oldest first", Query: []Param{qCursor, qLimit}, OK: ok("Trace", "One page of the trace."), Errors: []int{e400, e404}},
		{Method: "GET", Path: "/api/v1/deliveries", ID: "listDeliveries", Tag: "Runtime", Summary: "List deliveries, newest first (status=dead: the dead letters)",
			Query: append([]Param{qApp, qEvent, qTrace, {Name: "occurrence", Type: "integer", Description: "Only this occurrence's."}, {Name: "status", Type: "string", Enum: []string{"pending", "running", "retrying", "succeeded", "dead", "discarded"}, Description: "Only deliveries in this state."}, qParam}, pageQuery...),
			OK:    ok("DeliveryPage", "One page."), Errors: []int{e400}},
		{Method: "GET", Path: "/api/v1/deliveries/{id}", ID: "getDelivery", Tag: "Runtime", Summary: "Get a delivery with its attempts", OK: ok("Delivery", "The delivery."), Errors: []int{e400, e404}},
		{Method: "POST", Path: "/api/v1/deliveries/{id}/retry", ID: "retryDelivery", Tag: "Runtime", Summary: "Retry a waiting delivery now", OK: ok("Delivery", "The delivery afterwards."), Errors: []int{e400, e404, e409}},
		{Method: "POST", Path: "/api/v1/deliveries/{id}/replay", ID: "replayDelivery", Tag: "Runtime", Summary: "Replay a dead delivery with a fresh retry schedule", OK: ok("Delivery", "The delivery afterwards."), Errors: []int{e400, e404, e409}},
		{Method: "POST", Path: "/api/v1/deliveries/{id}/discard", ID: "discardDelivery", Tag: "Runtime", Summary: "Discard a dead delivery", OK: ok("Delivery", "The delivery afterwards."), Errors: []int{e400, e404, e409}},
		{Method: "GET", Path: "/api/v1/stats", ID: "stats", Tag: "Runtime", Summary: "Deliveries by state in the last hour, queue depths, runs in flight", OK: ok("Stats", "The counters.")},
		{Method: "GET", Path: "/api/v1/stats/series", ID: "statsSeries", Tag: "Runtime", Summary: "The charts' time series: triggers, attempts by outcome, queue depth and handler latency over the last hour or day",
			Description: "The counts the Prometheus metrics keep, in memory: the last hour in 10-second points (window=1h, the default) or the last day in one-minute points (window=24h), in total or for one event or one app. After a start they are rebuilt from stored history in the background (status.rebuilding); refused triggers are not stored and so are not rebuilt.",
			Query:       []Param{{Name: "window", Type: "string", Description: "1h (default) or 24h."}, {Name: "event", Type: "string", Description: "Only this event's, as Producer.EventName."}, qApp},
			OK:          ok("StatsSeries", "The window's columns."), Errors: []int{e400, e404}},
		{Method: "GET", Path: "/api/v1/timeline", ID: "timeline", Tag: "Runtime", Summary: "The recorded flow of a time window, oldest first (the designer's time travel)",
			Description: "Every occurrence created in the window and every attempt that started or ended in it, as the live notes reported them. A window longer than 24 hours, or holding more than limit items, is refused (422) with what to change.",
			Query: []Param{{Name: "since", Type: "string", Description: "The window's start, RFC 3339; default 15 minutes before until."}, {Name: "until", Type: "string", Description: "The window's end (exclusive), RFC 3339; default now."},
				{Name: "limit", Type: "integer", Description: "The most items the window may hold, 1 to 10000; default 2000."}},
			OK: ok("Timeline", "The window's items."), Errors: []int{e400, e422}},
		{Method: "GET", Path: "/api/v1/live", ID: "live", Tag: "Runtime", Summary: "A websocket of live notifications",
			Description: "Upgrade to a websocket streaming every step of every event as JSON envelopes; send {\"filter\":{\"apps\":[...],\"events\":[...],\"traceId\":N}} to narrow it. A slow viewer loses envelopes and is told.",
			Query:       []Param{qApp, qEvent, qTrace},
			OK:          Answer{Status: http.StatusSwitchingProtocols, Description: "The websocket is open."}, Errors: []int{e400, e403}},

		{Method: "GET", Path: "/api/v1/design", ID: "exportDesign", Tag: "Design", Summary: "Export the whole design as JSON", OK: ok("Design", "Every app, event and subscription.")},
		{Method: "PUT", Path: "/api/v1/design", ID: "importDesign", Tag: "Design", Summary: "Replace the whole design",
			Description: "The body is a design as exported, or an AsyncAPI 3.0 document: JSON (media type application/vnd.aai.asyncapi+json, or any JSON with an asyncapi member) or YAML (application/vnd.aai.asyncapi+yaml or application/yaml). The result is validated whole before anything changes; every problem is reported, an AsyncAPI part by its path. An import that breaks subscriptions is refused with 409 breaking_change unless confirm=breaking; a dry run lists those breaks without refusing.",
			Query:       []Param{qDryRun, qConfirm}, Body: body("DesignOrAsyncAPI", `{"apps":[{"name":"Shop"}],"events":[],"subscriptions":[]}`),
			OK: ok("ImportResult", "What changed (or would)."), Errors: []int{e400, e409, e413, e422}},
		{Method: "GET", Path: "/api/v1/alerts", ID: "listAlerts", Tag: "Alerts", Summary: "The newest alerts first (kept in memory: the last 1,000 of this process)", Query: []Param{qCursor, qLimit}, OK: ok("AlertPage", "One page."), Errors: []int{e400}},
		{Method: "GET", Path: "/api/v1/alerts/webhook", ID: "getAlertWebhook", Tag: "Alerts", Summary: "Where alerts are sent (url empty: nowhere) (admin)", OK: ok("AlertWebhook", "The URL; the secret is never listed.")},
		{Method: "PUT", Path: "/api/v1/alerts/webhook", ID: "putAlertWebhook", Tag: "Alerts", Summary: "Send alerts to a URL, signed per Standard Webhooks with a fresh whsec_ secret; the answer is the only time the secret is shown (admin)",
			Description: "Each alert is POSTed as {\"type\":\"alert.<kind>\",\"timestamp\",\"data\":Alert} with webhook-id alert_<id>, through the outbound guard, and retried after 5 s, 30 s and 2 min when the receiver does not answer 2xx.",
			Body:        body("AlertWebhookSet", `{"url":"https://ops.example.com/eventloom-alerts"}`), OK: ok("AlertWebhook", "The URL and its new secret."), Errors: []int{e400, e413, e422}},
		{Method: "DELETE", Path: "/api/v1/alerts/webhook", ID: "deleteAlertWebhook", Tag: "Alerts", Summary: "Stop sending alerts (they are still kept and listed) (admin)", OK: noContent},
		{Method: "GET", Path: "/api/v1/users", ID: "listUsers", Tag: "Users", Summary: "List the console's accounts (admin)", OK: ok("UserList", "The users.")},
		{Method: "POST", Path: "/api/v1/users", ID: "createUser", Tag: "Users", Summary: "Create an account with a role: admin, designer, operator or viewer (admin)", Body: body("NewUser", `{"name":"ana","role":"operator","password":"a long passphrase"}`), OK: createdAnswer("User", "The user."), Errors: []int{e400, e409, e413, e422}},
		{Method: "GET", Path: "/api/v1/users/{name}", ID: "getUser", Tag: "Users", Summary: "Get an account (admin)", OK: ok("User", "The user."), Errors: []int{e404}},
		{Method: "PATCH", Path: "/api/v1/users/{name}", ID: "patchUser", Tag: "Users", Summary: "Change an account's role or password (admin); a new password ends its console sessions", Body: body("UserPatch", `{"role":"viewer"}`), OK: ok("User", "The user afterwards."), Errors: []int{e400, e404, e413, e422}},
		{Method: "DELETE", Path: "/api/v1/users/{name}", ID: "deleteUser", Tag: "Users", Summary: "Delete an account, ending its sessions and revoking its tokens (admin)", OK: noContent, Errors: []int{e404}},
		{Method: "GET", Path: "/api/v1/users/{name}/tokens", ID: "listUserTokens", Tag: "Users", Summary: "List an account's API tokens, prefixes only (admin)", OK: ok("UserTokenList", "The tokens."), Errors: []int{e404}},
		{Method: "POST", Path: "/api/v1/users/{name}/tokens", ID: "createUserToken", Tag: "Users", Summary: "Make an elu_ API token for the account; the answer is the only time it is shown (admin)", OK: createdAnswer("NewUserToken", "The new token."), Errors: []int{e404}},
		{Method: "DELETE", Path: "/api/v1/users/{name}/tokens/{id}", ID: "revokeUserToken", Tag: "Users", Summary: "Revoke an account's API token (admin)", OK: noContent, Errors: []int{e400, e404}},
		{Method: "GET", Path: "/api/v1/design/versions", ID: "listDesignVersions", Tag: "Design", Summary: "List the design's versions, newest first", Query: []Param{qCursor, qLimit}, OK: ok("DesignVersionPage", "One page."), Errors: []int{e400}},
		{Method: "GET", Path: "/api/v1/design/versions/{n}", ID: "getDesignVersion", Tag: "Design", Summary: "Get one version with the design as it was", OK: ok("DesignVersion", "The version."), Errors: []int{e400, e404}},
		{Method: "GET", Path: "/api/v1/design/diff", ID: "designDiff", Tag: "Design", Summary: "What changed between two versions (to absent: the current design)",
			Query: []Param{{Name: "from", Type: "integer", Description: "The version to compare from."}, {Name: "to", Type: "integer", Description: "The version to compare to; absent: the current design."}},
			OK:    ok("DesignDiff", "The changes, breaking ones marked."), Errors: []int{e400, e404}},
		{Method: "GET", Path: "/api/v1/design/asyncapi", ID: "exportAsyncAPI", Tag: "Design", Summary: "The design's event contracts as an AsyncAPI 3.0 document",
			Query:  []Param{{Name: "format", Type: "string", Enum: []string{"json", "yaml"}, Description: "json (the default) or yaml (application/vnd.aai.asyncapi+yaml)."}},
			OK:     Answer{Status: http.StatusOK, Schema: "AsyncAPI", ContentType: "application/vnd.aai.asyncapi+json", Description: "A channel and message per event, send and receive operations per app."},
			Errors: []int{e400}},
		{Method: "GET", Path: "/api/v1/openapi.json", ID: "openAPI", Tag: "Design", Auth: "none", Summary: "This description of the REST API (OpenAPI 3.1)", OK: ok("OpenAPI", "The OpenAPI document.")},
		{Method: "GET", Path: "/api/v1/backup", ID: "backup", Tag: "Design", Summary: "Download a consistent copy of the database",
			OK: Answer{Status: http.StatusOK, ContentType: "application/vnd.sqlite3", Description: "The SQLite database file."}},
		{Method: "GET", Path: "/api/v1/lint", ID: "lint", Tag: "Design", Summary: "Findings about the design: unhandled events, unused parameters, ...", OK: ok("Findings", "The findings.")},
		{Method: "GET", Path: "/api/v1/layout", ID: "getLayout", Tag: "Design", Summary: "The designer graph's saved positions", OK: ok("Layout", "The positions.")},
		{Method: "PUT", Path: "/api/v1/layout", ID: "putLayout", Tag: "Design", Summary: "Save positions (merged; replace=true replaces them all)",
			Query: []Param{{Name: "replace", Type: "boolean", Description: "true replaces every saved position."}},
			Body:  body("Layout", `{"positions":{"app:Shop":{"x":10,"y":20}}}`), OK: ok("Layout", "The positions afterwards."), Errors: []int{e400, e413, e422}},
		{Method: "GET", Path: "/api/v1/audit", ID: "listAudit", Tag: "Design", Summary: "The audit log, newest first",
			Query: append([]Param{{Name: "actor", Type: "string", Description: "Only this actor's."}, {Name: "action", Type: "string", Description: "Only this action, e.g. design.import."}, {Name: "target", Type: "string", Description: "Only about this target."}}, pageQuery...),
			OK:    ok("AuditPage", "One page."), Errors: []int{e400}},
	}, replayOps()...)
}
