package request

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/web/httperr"
)

// ReadBody reads at most limit bytes of the body; over it is a 413 before
// anything is parsed, so an oversized request never costs more than the
// limit.
func ReadBody(c echo.Context, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(c.Request().Body, limit+1))
	if err != nil {
		return nil, &httperr.BadRequest{Code: "unreadable_body", Message: "the request body could not be read: " + err.Error()}
	}
	if int64(len(b)) > limit {
		return nil, &fault.Error{Kind: fault.ErrTooLarge, Code: "payload_too_large", Message: "the request body is over the limit of " + Itoa(limit) + " bytes; send less"}
	}
	return b, nil
}

// Decode reads a JSON body of at most limit bytes into v; malformed JSON
// or a field v does not have is a 400 naming where.
func Decode(c echo.Context, limit int64, v any) error {
	b, err := ReadBody(c, limit)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return &httperr.BadRequest{Code: "malformed_json", Message: "the request body is empty; send a JSON object"}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return httperr.Malformed(err)
	}
	return nil
}

// LooksLikeJSON reports whether a trigger body is meant as JSON whatever
// its content type says: it opens like a JSON object, array or string, or
// it is a whole JSON value (a number, true, false, null). A form body such
// as "Sku=A&Qty=2" is none of these.
func LooksLikeJSON(body []byte) bool {
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

// CheckJSONObject refuses a trigger body that is not valid JSON, or is
// valid JSON but not one object (an array or a scalar), with a 400 that
// says where it breaks and what to send instead.
func CheckJSONObject(body []byte) error {
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
