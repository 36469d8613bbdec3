package apidoc

// statsSeriesSchema is the charts' data (web/series.Frame): columns of one
// window, oldest point first, every column as long as times.
func statsSeriesSchema() map[string]any {
	counts := func(desc string) map[string]any {
		return map[string]any{"type": "array", "description": desc, "items": map[string]any{"type": "integer", "minimum": 0}}
	}
	nullable := func(t, desc string) map[string]any {
		return map[string]any{"type": "array", "description": desc + " Null where nothing was measured.", "items": map[string]any{"type": []string{t, "null"}}}
	}
	latest := func(desc string) map[string]any {
		return map[string]any{"type": []string{"integer", "null"}, "description": desc}
	}
	total := func(desc string) map[string]any {
		return map[string]any{"type": "integer", "minimum": 0, "description": desc}
	}
	return object(map[string]any{
		"window":      enum("The window: the last hour in 10-second points or the last day in one-minute points.", "1h", "24h"),
		"stepSeconds": integer("Seconds per point."),
		"event":       str("The event charted (Producer.EventName), when one is."),
		"app":         str("The app charted, when one is."),
		"status": object(map[string]any{
			"rebuilding":   boolean("True while the day's history is still being read after a start: earlier points may still grow."),
			"read":         integer("Stored records read by the rebuild so far."),
			"error":        str("Why the rebuild or a queue sample failed, when one did."),
			"linesRefused": integer("Events and apps without a chart of their own because the bound on lines was reached (they count in the total)."),
		}, "rebuilding", "read"),
		"times":        list(integer("Start of the point, in Unix seconds.")),
		"accepted":     counts("Triggers accepted (the occurrence was stored)."),
		"refused":      counts("Triggers refused (queue full, not the owner, bad parameters...)."),
		"succeeded":    counts("Attempts that succeeded."),
		"failed":       counts("Attempts that failed with a retry to follow."),
		"dead":         counts("Attempts that failed for good (the delivery is dead)."),
		"failures":     counts("failed plus dead."),
		"queuePending": nullable("integer", "The fullest queue sampled in the point (pending occurrences of one event type)."),
		"queueCap":     nullable("integer", "That queue's cap."),
		"latencyP50Ms": nullable("number", "Median handler run time, in milliseconds."),
		"latencyP95Ms": nullable("number", "95th percentile of handler run time, in milliseconds."),
		"latencyP99Ms": nullable("number", "99th percentile of handler run time, in milliseconds."),
		"totals": object(map[string]any{
			"accepted": total("Triggers accepted in the window."), "refused": total("Triggers refused in the window."),
			"succeeded": total("Attempts succeeded in the window."), "failed": total("Attempts failed (retried) in the window."),
			"dead": total("Attempts failed for good in the window."), "failures": total("failed plus dead."),
			"queuePending": latest("The latest queue sample."), "queueCap": latest("Its cap."),
		}, "accepted", "refused", "succeeded", "failed", "dead", "failures", "queuePending", "queueCap"),
	}, "window", "stepSeconds", "status", "times", "accepted", "refused", "succeeded", "failed", "dead", "failures",
		"queuePending", "queueCap", "latencyP50Ms", "latencyP95Ms", "latencyP99Ms", "totals")
}
