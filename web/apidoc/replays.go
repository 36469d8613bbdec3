package apidoc

import "net/http"

// replayOps describe the bulk actions: filtered replay, retry and
// discard.
func replayOps() []Op {
	return []Op{
		{Method: "POST", Path: "/api/v1/replays", ID: "startReplay", Tag: "Runtime", Summary: "Replay, retry or discard every delivery a filter selects (dryRun: count them)",
			Description: "filter selects deliveries by app (the handling app), event (Producer.EventName), subscription (HandlingApp:Producer.Event), status, since and until (RFC 3339, on the delivery's creation), trace and param.Name payload conditions (as on GET /occurrences). " +
				"An empty filter is refused (400 empty_filter), so nothing is acted on by accident. replay applies to dead and discarded deliveries, retry to retrying and pending ones, discard to unfinished and dead ones; a selected delivery in another state is counted as skipped. " +
				"dryRun=true answers {\"matched\"} and changes nothing; otherwise the action starts in the background (202) over the deliveries selected now, in batches, and GET /api/v1/replays/{replay} follows it. Jobs are kept in memory: a restart forgets them and stops a running one.",
			Body:   body("ReplayRequest", `{"filter":{"event":"Shop.OrderPlaced","status":"dead","since":"2026-11-01T00:00:00Z","param.CustomerEmail":"ann@example.com"},"action":"replay","dryRun":true}`),
			OK:     Answer{Status: http.StatusAccepted, Schema: "ReplayStarted", Description: "Started: its id and how many deliveries it selected.", LocationHead: true},
			Also:   []Answer{{Status: http.StatusOK, Schema: "ReplayCount", Description: "dryRun=true: how many deliveries the filter selects; nothing changed."}},
			Errors: []int{e400, e404, e413}},
		{Method: "GET", Path: "/api/v1/replays/{replay}", ID: "getReplay", Tag: "Runtime", Summary: "A bulk action's progress", OK: ok("Replay", "Its progress."), Errors: []int{e404}},
		{Method: "DELETE", Path: "/api/v1/replays/{replay}", ID: "cancelReplay", Tag: "Runtime", Summary: "Cancel a bulk action after the delivery it is changing",
			OK: ok("Replay", "Its state once stopped (cancelled; a finished one as it ended)."), Errors: []int{e404}},
	}
}

// replaySchemas adds the bulk actions' schemas.
func replaySchemas(schemas map[string]any) {
	filter := map[string]any{"type": "object", "description": "app, event, subscription, status, since, until, trace, and param.Name payload conditions; at least one.",
		"properties": map[string]any{
			"app": str("The handling app."), "event": str("Producer.EventName"), "subscription": str("HandlingApp:Producer.Event"),
			"status": enum("", "pending", "running", "retrying", "succeeded", "dead", "discarded"),
			"since":  when("Created at or after."), "until": when("Created before."), "trace": map[string]any{"type": []string{"integer", "string"}},
		},
		"additionalProperties": map[string]any{"type": []string{"string", "number", "boolean"}, "description": "param.Name: a payload condition (value or lo..hi)."}}
	schemas["ReplayRequest"] = object(map[string]any{
		"filter": filter, "action": enum("", "replay", "retry", "discard"), "dryRun": boolean("true only counts."),
		"subscription": str("Act on this one subscription only (HandlingApp:Producer.Event)."),
	}, "filter", "action")
	schemas["ReplayCount"] = object(map[string]any{"matched": map[string]any{"type": "integer"}}, "matched")
	schemas["ReplayStarted"] = object(map[string]any{"id": str("The bulk action's id."), "matched": map[string]any{"type": "integer"}}, "id", "matched")
	count := map[string]any{"type": "integer"}
	schemas["Replay"] = object(map[string]any{
		"id": str(""), "action": enum("", "replay", "retry", "discard"), "matched": count, "done": count, "skipped": count, "failed": count,
		"state": enum("", "running", "done", "cancelled"), "startedAt": when(""),
		"finishedAt": map[string]any{"type": []string{"string", "null"}, "format": "date-time"}, "actor": str("Who started it."),
	}, "id", "action", "matched", "done", "skipped", "failed", "state", "startedAt", "finishedAt")
}
