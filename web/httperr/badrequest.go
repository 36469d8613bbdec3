package httperr

import (
	"encoding/json"
	"errors"
	"strconv"
)

// BadRequest is a request the server cannot read at all (malformed JSON,
// a bad query parameter, an unreadable form): 400, with Code, Field (""
// when none) and a Message saying what to send instead.
type BadRequest struct {
	Code, Field, Message string
}

// Error returns the message.
func (b *BadRequest) Error() string { return b.Message }

// Malformed words a JSON decoding error as a 400 that names where the
// body went wrong: the byte of a syntax error, the field of a type error.
func Malformed(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return &BadRequest{Code: "malformed_json", Message: "the body is not valid JSON at byte " + itoa(se.Offset) + ": " + se.Error()}
	case errors.As(err, &te):
		return &BadRequest{Code: "malformed_json", Field: te.Field, Message: "field " + te.Field + " must be a " + te.Type.String() + ", not a JSON " + te.Value}
	}
	return &BadRequest{Code: "malformed_json", Message: "the body is not the expected JSON: " + err.Error()}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
