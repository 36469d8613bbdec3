package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/eventloom/eventloom/web/httperr"
)

// looksLikeJSON reports whether a trigger body is meant as JSON whatever
// its content type says: it opens like a JSON object, array or string, or
// it is a whole JSON value (a number, true, false, null). A form body such
// as "Sku=A&Qty=2" is none of these.
func looksLikeJSON(body []byte) bool {
	t := bytes.TrimSpace(body)
	if len(t) == 0 {
		return false
	}
	switch t[0] {
	case '{', '[', '"':
		return true
	}
	return json.Valid(t)
}

// checkJSONObject refuses a trigger body that is not valid JSON, or is
// valid JSON but not one object (an array or a scalar), with a 400 that
// says where it breaks and what to send instead.
func checkJSONObject(body []byte) error {
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return &httperr.BadRequest{Code: "malformed_json", Message: "the body ends before its JSON is complete (a missing value, quote or closing brace); send one object of parameters such as {\"Quantity\": 3}"}
		}
		return httperr.Malformed(err)
	}
	// More() says nothing of a stray closing brace after the value ("{}}"),
	// so whatever follows the first value must be blank.
	if len(bytes.TrimSpace(body[dec.InputOffset():])) > 0 {
		return &httperr.BadRequest{Code: "malformed_json", Message: "the body has more than one JSON value, or text after it; send one object of parameters such as {\"Quantity\": 3}"}
	}
	if _, ok := v.(map[string]any); !ok {
		return &httperr.BadRequest{Code: "malformed_json", Message: "the body is " + jsonKind(v) + ", not an object; send the parameters as one JSON object such as {\"Quantity\": 3} ({} when the event has none)"}
	}
	return nil
}

// jsonKind names the kind of a decoded JSON value with its article.
func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "a JSON array"
	case string:
		return "a JSON string"
	case json.Number:
		return "a JSON number"
	case bool:
		return "a JSON boolean"
	case nil:
		return "JSON null"
	}
	return "a JSON value"
}
