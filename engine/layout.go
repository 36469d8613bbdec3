package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/eventloom/eventloom/engine/fault"
)

// layoutSetting names the setting holding the designer's node positions.
const layoutSetting = "designer_layout"

// Point is a node's position on the designer's canvas.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Layout returns the saved positions of the designer's nodes, by node id
// ("app:Shop", "event:Shop.OrderPlaced"); nodes never moved are absent.
func (e *Engine) Layout(ctx context.Context) (map[string]Point, error) {
	raw, err := e.st.SettingGet(ctx, layoutSetting)
	if errors.Is(err, fault.ErrNotFound) {
		return map[string]Point{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load layout: %w", err)
	}
	out := map[string]Point{}
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return nil, fmt.Errorf("load layout: %w", err)
	}
	return out, nil
}

// SaveLayout merges moved into the saved positions; a nil Point value is
// not possible, so removing a position means saving the whole layout with
// replace.
func (e *Engine) SaveLayout(ctx context.Context, moved map[string]Point, replace bool) (map[string]Point, error) {
	for id, p := range moved {
		if id == "" || len(id) > 200 || math.IsNaN(p.X) || math.IsNaN(p.Y) || math.IsInf(p.X, 0) || math.IsInf(p.Y, 0) {
			return nil, fault.Field("layout", "invalid_value", fmt.Sprintf("position %q of %q is not a finite point with a node id", fmt.Sprint(p), id))
		}
	}
	e.designMu.Lock()
	defer e.designMu.Unlock()
	all := map[string]Point{}
	if !replace {
		var err error
		if all, err = e.Layout(ctx); err != nil {
			return nil, err
		}
	}
	for id, p := range moved {
		all[id] = p
	}
	b, err := json.Marshal(all)
	if err != nil {
		return nil, err
	}
	if err := e.st.SettingPut(context.WithoutCancel(ctx), layoutSetting, string(b)); err != nil {
		return nil, fmt.Errorf("save layout: %w", err)
	}
	return all, nil
}
