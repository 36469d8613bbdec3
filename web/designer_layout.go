package web

import (
	"context"

	"github.com/eventloom/eventloom/web/canvas"
)

// canvasLayout is the designer's saved positions by canvas node id (see
// package canvas, which owns the ids and the format).
type canvasLayout = canvas.Layout

// loadLayout reads the saved layout.
func (s *Server) loadLayout(ctx context.Context) (canvasLayout, error) {
	return canvas.Load(ctx, s.eng)
}

// saveLayout merges moved into the saved positions (or, with replace,
// saves moved alone) and returns the layout saved.
func (s *Server) saveLayout(ctx context.Context, moved canvasLayout, replace bool) (canvasLayout, error) {
	return canvas.Save(ctx, s.eng, moved, replace)
}
