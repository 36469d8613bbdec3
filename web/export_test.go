package web

// TracePageSize lets the external tests page through a trace exactly.
const TracePageSize = tracePageSize
