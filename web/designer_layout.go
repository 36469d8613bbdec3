package web

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
)

// Point is a node's position on the designer's canvas.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// canvasLayout is the designer's saved positions by canvas node id,
// "app:" and an app's name or "event:" and Producer.Event (the ids
// static/src/designer.js gives its nodes); nodes never moved are absent.
// The console owns the ids and this format: the engine stores the layout
// as a document it does not read (engine.Layout).
type canvasLayout map[string]Point

// checkNodeID refuses an id that names no canvas node.
func checkNodeID(id string) error {
	kind, name, _ := strings.Cut(id, ":")
	switch kind {
	case "app":
		if design.CheckName("app", name) == nil {
			return nil
		}
	case "event":
		if _, err := design.ParseEventRef(name); err == nil {
			return nil
		}
	}
	return fault.Field("layout", "invalid_value", fmt.Sprintf("%q is not a canvas node id; write app:AppName or event:Producer.EventName", id))
}

// loadLayout reads the saved layout.
func (s *Server) loadLayout(ctx context.Context) (canvasLayout, error) {
	raw, err := s.eng.Layout(ctx)
	if err != nil {
		return nil, err
	}
	return parseLayout(raw)
}

func parseLayout(raw string) (canvasLayout, error) {
	out := canvasLayout{}
	if raw == "" {
		return out, nil
	}
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return nil, fmt.Errorf("read the saved layout: %w", err)
	}
	return out, nil
}

// saveLayout merges moved into the saved positions, or with replace
// saves moved alone (which is how positions are dropped), and returns
// the layout saved.
func (s *Server) saveLayout(ctx context.Context, moved canvasLayout, replace bool) (canvasLayout, error) {
	for id, p := range moved {
		if err := checkNodeID(id); err != nil {
			return nil, err
		}
		if math.IsNaN(p.X) || math.IsNaN(p.Y) || math.IsInf(p.X, 0) || math.IsInf(p.Y, 0) {
			return nil, fault.Field("layout", "invalid_value", fmt.Sprintf("position %v of %q is not a finite point", p, id))
		}
	}
	var all canvasLayout
	err := s.eng.UpdateLayout(ctx, func(saved string) (string, error) {
		all = canvasLayout{}
		if !replace {
			var err error
			if all, err = parseLayout(saved); err != nil {
				return "", err
			}
		}
		for id, p := range moved {
			all[id] = p
		}
		b, err := json.Marshal(all)
		return string(b), err
	})
	if err != nil {
		return nil, fmt.Errorf("save layout: %w", err)
	}
	return all, nil
}
