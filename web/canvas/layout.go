package canvas

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

// Layout is the designer's saved positions by canvas node id,
// "app:" and an app's name or "event:" and Producer.Event (the ids
// static/src/designer.js gives its nodes); nodes never moved are absent.
// The console owns the ids and this format: the engine stores the layout
// as a document it does not read (engine.Layout).
type Layout map[string]Point

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

// Store is where the layout is kept: the engine, which stores it as an
// opaque document and serialises its updates.
type Store interface {
	Layout(ctx context.Context) (string, error)
	UpdateLayout(ctx context.Context, update func(saved string) (string, error)) error
}

// Load reads the saved layout; nothing saved yet is an empty one.
func Load(ctx context.Context, st Store) (Layout, error) {
	raw, err := st.Layout(ctx)
	if err != nil {
		return nil, err
	}
	return parseLayout(raw)
}

func parseLayout(raw string) (Layout, error) {
	out := Layout{}
	if raw == "" {
		return out, nil
	}
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return nil, fmt.Errorf("read the saved layout: %w", err)
	}
	return out, nil
}

// Save merges moved into the saved positions, or with replace
// saves moved alone (which is how positions are dropped), and returns
// the layout saved.
func Save(ctx context.Context, st Store, moved Layout, replace bool) (Layout, error) {
	for id, p := range moved {
		if err := checkNodeID(id); err != nil {
			return nil, err
		}
		if math.IsNaN(p.X) || math.IsNaN(p.Y) || math.IsInf(p.X, 0) || math.IsInf(p.Y, 0) {
			return nil, fault.Field("layout", "invalid_value", fmt.Sprintf("position %v of %q is not a finite point", p, id))
		}
	}
	var all Layout
	err := st.UpdateLayout(ctx, func(saved string) (string, error) {
		all = Layout{}
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
