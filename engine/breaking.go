package engine

import "context"

type confirmKey struct{}

// ConfirmBreaking returns ctx confirming that a design change made in it
// may break subscriptions (design.Breaks): without it such a change is
// refused with a design.BreakingError naming them, so nobody breaks
// another app's handler by accident. The REST API sets it for
// ?confirm=breaking, the console for its "Save anyway" button, the CLI
// for --confirm-breaking.
func ConfirmBreaking(ctx context.Context) context.Context {
	return context.WithValue(ctx, confirmKey{}, true)
}

// BreakingConfirmed reports whether ctx comes from ConfirmBreaking.
func BreakingConfirmed(ctx context.Context) bool {
	ok, _ := ctx.Value(confirmKey{}).(bool)
	return ok
}

// confirmIf confirms breaking changes in ctx when cascade, the older
// explicit "delete the subscriptions too" of deletes and of making an
// event private.
func confirmIf(ctx context.Context, cascade bool) context.Context {
	if cascade {
		return ConfirmBreaking(ctx)
	}
	return ctx
}
