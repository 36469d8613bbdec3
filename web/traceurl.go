package web

import "github.com/eventloom/eventloom/web/console"

// TraceIDPlaceholder is what a trace URL template (Config.TraceURL) names
// the W3C trace id by (console.TraceIDPlaceholder).
const TraceIDPlaceholder = console.TraceIDPlaceholder

// CheckTraceURL refuses a trace URL template (Config.TraceURL) that would
// not link anywhere, saying how to write one; the console owns the link,
// so the check is console.CheckTraceURL.
func CheckTraceURL(tmpl string) error { return console.CheckTraceURL(tmpl) }
