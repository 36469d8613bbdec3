package console

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/web/canvas"
	"github.com/eventloom/eventloom/web/httperr"
)

// designerPositions saves node positions moved on the canvas, posted as a
// form like the console's other edits: "x.<node id>" and "y.<node id>"
// for each node (x.app:Shop=10&y.app:Shop=20), and replace=true to
// replace every saved position rather than merge. It answers 204; a
// refusal takes the console's error path (a notice in the page's errors
// region for htmx), as any form's does.
func (s *Console) designerPositions(c echo.Context) error {
	if err := c.Request().ParseForm(); err != nil {
		return &httperr.BadRequest{Code: "malformed_form", Message: "the positions could not be read as a form: " + err.Error()}
	}
	moved, err := positionsFromForm(c.Request().PostForm)
	if err != nil {
		return err
	}
	if _, err := canvas.Save(c.Request().Context(), s.eng, moved, c.Request().PostForm.Get("replace") == "true"); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// positionsFromForm reads the "x.<id>" and "y.<id>" pairs of a positions
// form; a missing half, a value that is not a finite number or no
// position at all is refused with what to send instead.
func positionsFromForm(f map[string][]string) (canvas.Layout, error) {
	moved := canvas.Layout{}
	var errs fault.List
	coord := func(name, id string) float64 {
		raw := strings.TrimSpace(firstOf(f[name+"."+id]))
		if raw == "" {
			errs = append(errs, fault.Field(name+"."+id, "missing_coordinate", "the position of "+id+" has no "+name+"; send both x."+id+" and y."+id))
			return 0
		}
		v, ok := finite(raw)
		if !ok {
			errs = append(errs, fault.Field(name+"."+id, "bad_coordinate", name+" of "+id+" is "+strconv.Quote(raw)+", not a number; send a decimal number such as 120.5"))
			return 0
		}
		return v
	}
	var ids []string
	for k := range f {
		if id, ok := strings.CutPrefix(k, "x."); ok {
			ids = append(ids, id)
		} else if id, ok := strings.CutPrefix(k, "y."); ok && f["x."+id] == nil {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids) // errors in a stable order
	for _, id := range ids {
		moved[id] = canvas.Point{X: coord("x", id), Y: coord("y", id)}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(moved) == 0 {
		return nil, fault.Field("", "no_positions", "no positions were sent; send x.<node id> and y.<node id> for each node moved, e.g. x.app:Shop=10&y.app:Shop=20")
	}
	return moved, nil
}

func firstOf(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
