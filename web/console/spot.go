package console

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/web/canvas"
)

// spotField is the form field a refused x/y is reported under: the
// create forms show it beside their hidden x and y inputs
// (templates/canvasspot.templ).
const spotField = "position"

// newNodeSpot reads the optional x and y a create form carries: where
// the designer's canvas places the node the form creates, filled in just
// before the side panel posts it (static/src/panel.js). Both empty (the
// form posted outside the designer) is no position. One without the
// other, or a value that is not a finite number, is refused with what to
// send instead, so that the create is refused too rather than saving a
// node the canvas would then place somewhere else.
func newNodeSpot(c echo.Context) (p canvas.Point, ok bool, msg string) {
	rx, ry := strings.TrimSpace(c.FormValue("x")), strings.TrimSpace(c.FormValue("y"))
	if rx == "" && ry == "" {
		return canvas.Point{}, false, ""
	}
	if rx == "" || ry == "" {
		return canvas.Point{}, false, "The position on the canvas needs both x and y; send both, or neither to let the designer place the node."
	}
	coord := func(name, raw string) (float64, string) {
		v, ok := finite(raw)
		if !ok {
			return 0, fmt.Sprintf("The canvas position's %s is %q, not a number; send a decimal number such as 120.5.", name, raw)
		}
		return v, ""
	}
	x, bad := coord("x", rx)
	if bad != "" {
		return canvas.Point{}, false, bad
	}
	y, bad := coord("y", ry)
	if bad != "" {
		return canvas.Point{}, false, bad
	}
	return canvas.Point{X: x, Y: y}, true, ""
}

// finite reads a canvas coordinate: a decimal number, neither infinite
// nor NaN (a node there could never be drawn).
func finite(raw string) (float64, bool) {
	v, err := strconv.ParseFloat(raw, 64)
	return v, err == nil && !math.IsInf(v, 0) && !math.IsNaN(v)
}

// placeNode saves the position a create form carried for the node it
// created (id, a canvas node id), after the design change succeeded, so
// the side panel's answer carries it to the canvas in its design change.
func (s *Console) placeNode(c echo.Context, id string, p canvas.Point, ok bool) error {
	if !ok {
		return nil
	}
	if _, err := canvas.Save(c.Request().Context(), s.eng, canvas.Layout{id: p}, false); err != nil {
		return fmt.Errorf("save the position of %s: %w", id, err)
	}
	return nil
}
