package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/eventloom/eventloom/engine/fault"
)

// layoutSetting names the setting holding the designer's layout.
const layoutSetting = "designer_layout"

// MaxLayoutBytes bounds the saved designer layout: a megabyte holds the
// positions of some ten thousand canvas nodes, and the bound keeps one
// client from filling the settings store.
const MaxLayoutBytes = 1 << 20

// Layout returns the console's saved designer layout, "" when none was
// saved. The engine stores it for the console without reading it: the
// canvas's node ids and positions are the console's business, not the
// design's.
func (e *Engine) Layout(ctx context.Context) (string, error) {
	raw, err := e.st.SettingGet(ctx, layoutSetting)
	if errors.Is(err, fault.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("load layout: %w", err)
	}
	return raw, nil
}

// UpdateLayout saves what update makes of the saved layout ("" when
// none). Updates run one at a time with design changes, so two viewers
// moving nodes at once both keep their moves. An error from update is
// returned as it is and nothing is saved; a result over MaxLayoutBytes is
// refused.
func (e *Engine) UpdateLayout(ctx context.Context, update func(saved string) (string, error)) error {
	e.designMu.Lock()
	defer e.designMu.Unlock()
	saved, err := e.Layout(ctx)
	if err != nil {
		return err
	}
	next, err := update(saved)
	if err != nil {
		return err
	}
	if len(next) > MaxLayoutBytes {
		return fault.Field("layout", "too_large", fmt.Sprintf("the layout is %d bytes; at most %d are kept: save fewer positions (replace the layout)", len(next), MaxLayoutBytes))
	}
	// Not cancelled with the caller: the viewer moved the nodes already.
	if err := e.st.SettingPut(context.WithoutCancel(ctx), layoutSetting, next); err != nil {
		return fmt.Errorf("save layout: %w", err)
	}
	return nil
}
