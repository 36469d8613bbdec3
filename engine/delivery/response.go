package delivery

// Response is what a webhook receiver answered to one attempt, kept on the
// attempt so a trace shows why a delivery failed (or what it succeeded
// with) without access to the receiver's logs.
type Response struct {
	// Status is the HTTP status code; 0 when no answer came (a network
	// error or the handler timeout, said in the attempt's Error).
	Status int `json:"status"`
	// Headers are the answer's headers of interest (KeptHeader says
	// which), by their canonical names; others are not kept.
	Headers map[string]string `json:"headers,omitempty"`
	// LatencyMillis is how long the receiver took, from the request's
	// start to the end of the kept part of the body.
	LatencyMillis int64 `json:"latencyMillis"`
	// Body is the first MaxResponseBodyBytes of the answer's body.
	Body string `json:"body,omitempty"`
	// BodyTruncated says the body went on past what is kept.
	BodyTruncated bool `json:"bodyTruncated,omitempty"`
}

// MaxResponseBodyBytes bounds the body kept per attempt: 2 KB shows a
// receiver's error message without letting a chatty receiver grow the
// store.
const MaxResponseBodyBytes = 2048

// KeptHeader reports whether a response header (by its canonical name) is
// kept on the attempt: those that explain an outcome (a retry wait, a
// redirect not followed, what the body is, which server or request
// answered). Others are dropped: they may carry cookies or tokens.
func KeptHeader(name string) bool {
	switch name {
	case "Content-Type", "Content-Length", "Retry-After", "Location", "Server", "Date", "X-Request-Id":
		return true
	}
	return false
}
