package console

import (
	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/fault"
)

// paramFormError is the message of a refused payload condition for a
// console form, and whether err is one.
func paramFormError(err error) (string, bool) {
	if !engine.IsParamFilterError(err) {
		return "", false
	}
	e := fault.All(err)[0]
	return e.Field + ": " + e.Message, true
}
