package api

import (
	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/web/httperr"
)

// paramBadRequest turns a refused payload condition into a 400 naming
// the condition; other errors pass through.
func paramBadRequest(err error) error {
	if !engine.IsParamFilterError(err) {
		return err
	}
	e := fault.All(err)[0]
	return &httperr.BadRequest{Code: e.Code, Field: e.Field, Message: e.Message + ". " + engine.ParamFilterSyntax + "."}
}
