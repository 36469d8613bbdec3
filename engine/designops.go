package engine

import (
	"context"
	"fmt"
	"sort"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/flow"
	"github.com/eventloom/eventloom/engine/storage"
)

// Change is one difference a design change makes, for dry runs and logs.
type Change struct {
	// Action is "create", "update" or "delete".
	Action string `json:"action"`
	// Kind is "app", "event" or "subscription".
	Kind string `json:"kind"`
	// Name is the app, "Producer.Event", or "App:Producer.Event".
	Name string `json:"name"`
}

// Design returns the current design. It is shared: callers must not modify
// it.
func (e *Engine) Design() design.Design { return e.snap.Load().idx.Design }

// App returns the app named name.
func (e *Engine) App(name string) (design.App, error) {
	a, ok := e.snap.Load().idx.App(name)
	if !ok {
		return design.App{}, unknownApp(name)
	}
	return *a, nil
}

// Event returns one event with its parameters.
func (e *Engine) Event(ref design.EventRef) (design.Event, error) {
	ev, ok := e.snap.Load().idx.Event(ref)
	if !ok {
		return design.Event{}, unknownEvent(ref)
	}
	return *ev, nil
}

// Subscription returns the subscription of app to the event ref.
func (e *Engine) Subscription(app string, ref design.EventRef) (design.Subscription, error) {
	s, ok := e.snap.Load().idx.SubscriptionFor(app, ref)
	if !ok {
		return design.Subscription{}, unknownSubscription(app, ref)
	}
	return *s, nil
}

// CreateApp adds an app; fault.ErrConflict when the name is taken.
func (e *Engine) CreateApp(ctx context.Context, a design.App) (design.App, error) {
	_, _, err := e.change(ctx, false, func(d *design.Design) error { return d.AddApp(a) })
	if err != nil {
		return design.App{}, fmt.Errorf("create app %s: %w", a.Name, localize(err, "apps["+a.Name+"]."))
	}
	return e.App(a.Name)
}

// UpdateApp replaces the app named name by a (a.Name may rename it; its
// events and subscriptions follow).
func (e *Engine) UpdateApp(ctx context.Context, name string, a design.App) (design.App, error) {
	ctx = withAuditLabel(ctx, "app.update", name)
	_, _, err := e.change(ctx, false, func(d *design.Design) error { return d.UpdateApp(name, a) })
	if err != nil {
		return design.App{}, fmt.Errorf("update app %s: %w", name, localize(err, "apps["+a.Name+"]."))
	}
	return e.App(a.Name)
}

// DeleteApp deletes an app with its events and its subscriptions, and
// other apps' subscriptions to its events. Breaking those is refused
// (design.BreakingError) unless confirmed: cascade, or ctx from
// ConfirmBreaking.
func (e *Engine) DeleteApp(ctx context.Context, name string, cascade bool) error {
	ctx = withAuditLabel(confirmIf(ctx, cascade), "app.delete", name)
	_, _, err := e.change(ctx, false, func(d *design.Design) error { return d.DeleteApp(name) })
	if err != nil {
		return fmt.Errorf("delete app %s: %w", name, err)
	}
	return nil
}

// CreateEvent adds an event owned by app.
func (e *Engine) CreateEvent(ctx context.Context, app string, ev design.Event) (design.Event, error) {
	ev.App = app
	_, _, err := e.change(ctx, false, func(d *design.Design) error { return d.AddEvent(ev) })
	if err != nil {
		return design.Event{}, fmt.Errorf("create event %s: %w", ev.Ref(), localize(err, "events["+ev.Ref().String()+"]."))
	}
	return e.Event(ev.Ref())
}

// UpdateEvent replaces the event ref by ev (ev.Name may rename it; the
// owner stays). Making it private deletes other apps' subscriptions to
// it; that, and removing, retyping or making mandatory a parameter while
// other apps handle it, is refused (design.BreakingError) unless
// confirmed: cascade, or ctx from ConfirmBreaking. A parameter change
// that breaks a flow's mapping is refused with the flow's errors.
func (e *Engine) UpdateEvent(ctx context.Context, ref design.EventRef, ev design.Event, cascade bool) (design.Event, error) {
	ctx = withAuditLabel(confirmIf(ctx, cascade), "event.update", ref.String())
	ev.App = ref.App
	_, _, err := e.change(ctx, false, func(d *design.Design) error { return d.UpdateEvent(ref, ev) })
	if err != nil {
		return design.Event{}, fmt.Errorf("update event %s: %w", ref, localize(err, "events["+ev.Ref().String()+"]."))
	}
	return e.Event(ev.Ref())
}

// DeleteEvent deletes an event and every subscription to it. While other
// apps handle it, that is refused (design.BreakingError) unless
// confirmed: cascade, or ctx from ConfirmBreaking.
func (e *Engine) DeleteEvent(ctx context.Context, ref design.EventRef, cascade bool) error {
	ctx = withAuditLabel(confirmIf(ctx, cascade), "event.delete", ref.String())
	_, _, err := e.change(ctx, false, func(d *design.Design) error { return d.DeleteEvent(ref) })
	if err != nil {
		return fmt.Errorf("delete event %s: %w", ref, err)
	}
	return nil
}

// CreateSubscription makes app handle s.Event with s.Handler. The handler
// is compiled now: a flow's mistakes are refused with field errors.
func (e *Engine) CreateSubscription(ctx context.Context, app string, s design.Subscription) (design.Subscription, error) {
	s.App = app
	_, _, err := e.change(ctx, false, func(d *design.Design) error { return d.AddSubscription(s) })
	if err != nil {
		return design.Subscription{}, fmt.Errorf("create subscription %s: %w", s.Ref(), localize(err, s.Ref().FieldPrefix()))
	}
	return e.Subscription(app, s.Event)
}

// UpdateSubscription replaces app's subscription to ref by s (s.Event may
// move it to another event).
func (e *Engine) UpdateSubscription(ctx context.Context, app string, ref design.EventRef, s design.Subscription) (design.Subscription, error) {
	s.App = app
	_, _, err := e.change(ctx, false, func(d *design.Design) error {
		return d.UpdateSubscription(design.NewSubscriptionRef(app, ref), s)
	})
	if err != nil {
		return design.Subscription{}, fmt.Errorf("update subscription %s: %w", design.NewSubscriptionRef(app, ref), localize(err, s.Ref().FieldPrefix()))
	}
	return e.Subscription(app, s.Event)
}

// DeleteSubscription deletes app's subscription to ref; its unfinished
// deliveries are discarded.
func (e *Engine) DeleteSubscription(ctx context.Context, app string, ref design.EventRef) error {
	_, _, err := e.change(ctx, false, func(d *design.Design) error {
		return d.DeleteSubscription(design.NewSubscriptionRef(app, ref))
	})
	if err != nil {
		return fmt.Errorf("delete subscription %s: %w", design.NewSubscriptionRef(app, ref), err)
	}
	return nil
}

// PauseSubscription holds app's deliveries of ref: they wait (they are not
// lost) until ResumeSubscription.
func (e *Engine) PauseSubscription(ctx context.Context, app string, ref design.EventRef) (design.Subscription, error) {
	return e.setPaused(ctx, app, ref, true)
}

// ResumeSubscription lets a paused subscription's deliveries run again.
func (e *Engine) ResumeSubscription(ctx context.Context, app string, ref design.EventRef) (design.Subscription, error) {
	return e.setPaused(ctx, app, ref, false)
}

func (e *Engine) setPaused(ctx context.Context, app string, ref design.EventRef, paused bool) (design.Subscription, error) {
	verb := "resume"
	if paused {
		verb = "pause"
	}
	sref := design.NewSubscriptionRef(app, ref)
	ctx = withAuditLabel(ctx, "subscription."+verb, sref.String())
	_, _, err := e.change(ctx, false, func(d *design.Design) error { return d.SetPaused(sref, paused) })
	if err != nil {
		return design.Subscription{}, fmt.Errorf("%s subscription %s: %w", verb, sref, err)
	}
	return e.Subscription(app, ref)
}

// ImportDesign replaces the whole design by doc (apps, events and
// subscriptions named as in an export; ids ignored), validated whole
// before anything changes. It returns what changed, or with dryRun what
// would change, without changing it. An import that breaks subscriptions
// is refused unless ctx confirms it (ConfirmBreaking).
func (e *Engine) ImportDesign(ctx context.Context, doc design.Design, dryRun bool) ([]Change, error) {
	changes, _, err := e.ImportDesignReport(ctx, doc, dryRun)
	return changes, err
}

// ImportDesignReport is ImportDesign that also returns the subscriptions
// the import breaks (or, with dryRun, would break), so a dry run can show
// them before the real one is confirmed.
func (e *Engine) ImportDesignReport(ctx context.Context, doc design.Design, dryRun bool) ([]Change, []design.Break, error) {
	ctx = withAuditLabel(ctx, "design.import", "design")
	changes, breaks, err := e.change(ctx, dryRun, func(d *design.Design) error {
		*d = doc.WithIDsOf(*d)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("import design: %w", err)
	}
	return changes, breaks, nil
}

// change applies edit to a copy of the current design, validates the
// result whole (rules, references, flow expressions, Go handler names),
// refuses it when it breaks subscriptions and ctx does not confirm that
// (ConfirmBreaking), and stores the difference in one transaction.
// Nothing changes on any refusal. It returns the changes and the breaks
// (those of a dry run too, which is never refused for them).
func (e *Engine) change(ctx context.Context, dryRun bool, edit func(*design.Design) error) ([]Change, []design.Break, error) {
	e.designMu.Lock()
	defer e.designMu.Unlock()
	if e.d.isClosed() {
		return nil, nil, ErrClosed
	}
	old := e.snap.Load()
	next := old.idx.Design.Clone()
	if err := edit(&next); err != nil {
		return nil, nil, err
	}
	if errs := checkDesign(e, next); len(errs) > 0 {
		return nil, nil, errs.Err()
	}
	breaks := design.Breaks(old.idx.Design, next)
	if len(breaks) > 0 && !dryRun && !BreakingConfirmed(ctx) {
		return nil, breaks, design.NewBreakingError(breaks)
	}
	ops, changes := diffDesign(old.idx.Design, next)
	if dryRun || len(ops) == 0 {
		return changes, breaks, nil
	}
	// Not cancelled with the caller: a change that commits must also reach
	// the snapshot, or the next change would be computed against a stale
	// design.
	now := e.clk.Now()
	entry, err := designAudit(ctx, now, changes)
	if err != nil {
		return nil, nil, err
	}
	version, err := versionOf(ctx, next, changes, now)
	if err != nil {
		return nil, nil, err
	}
	stored, err := e.st.DesignApply(context.WithoutCancel(ctx), &storage.DesignApplyParams{Ops: ops, Now: now, Audit: entry, Version: version})
	if err != nil {
		return nil, nil, err
	}
	snap, cerrs := e.compile(stored)
	for _, x := range cerrs {
		e.log.Warn("stored subscription does not compile", "field", x.Field, "error", x.Message)
	}
	e.snap.Store(snap)
	e.d.designChanged(old, snap)
	return changes, breaks, nil
}

// checkDesign reports every mistake of next at once: the design's rules
// and references, and the handlers of every subscription whose app and
// event exist, compiled even when other parts are wrong, so an import
// learns all its errors in one try. A mistake both passes find (a trigger
// of an unknown event) is reported once.
func checkDesign(e *Engine, next design.Design) fault.List {
	errs := next.Check()
	idx := design.NewIndex(next)
	type key struct{ field, code string }
	seen := make(map[key]bool, len(errs))
	for _, x := range errs {
		seen[key{x.Field, x.Code}] = true
	}
	for i := range idx.Subscriptions {
		s := &idx.Subscriptions[i]
		_, okApp := idx.App(s.App)
		_, okEvent := idx.Event(s.Event)
		if !okApp || !okEvent {
			continue // Check has said so already
		}
		_, x := e.compileSub(idx, s)
		for _, y := range x {
			if !seen[key{y.Field, y.Code}] {
				seen[key{y.Field, y.Code}] = true
				errs = append(errs, y)
			}
		}
	}
	return errs
}

// compileSub checks and compiles one subscription's handler against the
// design idx. Errors carry the subscription's field prefix.
func (e *Engine) compileSub(idx *design.Index, s *design.Subscription) (*compiled, fault.List) {
	prefix := s.Ref().FieldPrefix()
	app, ok1 := idx.App(s.App)
	ev, ok2 := idx.Event(s.Event)
	if !ok1 || !ok2 {
		return nil, fault.List{&fault.Error{Kind: fault.ErrNotFound, Code: "unknown_event", Field: prefix + "event", Message: fmt.Sprintf("event %s or app %s does not exist", s.Event, s.App)}}
	}
	c := &compiled{sub: s, app: app, event: ev, ref: ev.Ref().String()}
	c.spanName = "process " + c.ref
	var errs fault.List
	f, err := flow.CompileFilter(s.Filter, *ev)
	for _, x := range fault.All(err) {
		y := *x
		y.Field = prefix + y.Field
		errs = append(errs, &y)
	}
	c.filter = f
	switch s.Handler.Kind {
	case design.KindFlow:
		own := func(name string) (design.Event, bool) {
			x, ok := idx.Event(design.EventRef{App: s.App, Event: name})
			if !ok {
				return design.Event{}, false
			}
			return *x, true
		}
		f, err := flow.Compile(s.Handler, *ev, own)
		if err != nil {
			for _, x := range fault.All(err) {
				y := *x
				y.Field = prefix + y.Field
				errs = append(errs, &y)
			}
			if len(fault.All(err)) == 0 {
				errs = append(errs, fault.Field(prefix+"handler", "invalid_handler", err.Error()))
			}
		}
		c.flow = f
	case design.KindGo:
		fn, ok := e.cfg.Handlers[s.Handler.Name]
		if !ok {
			names := make([]string, 0, len(e.cfg.Handlers))
			for n := range e.cfg.Handlers {
				names = append(names, n)
			}
			sort.Strings(names)
			errs = append(errs, fault.Field(prefix+"handler.name", "unknown_handler", fmt.Sprintf("no Go handler is registered as %q in this process; registered: %v", s.Handler.Name, names)))
		}
		c.goFn = fn
	case design.KindWebhook:
		if app.Endpoint == "" {
			errs = append(errs, fault.Field(prefix+"handler.kind", "endpoint_required", fmt.Sprintf(
				"app %s has no endpoint for a webhook to POST to; set its endpoint (the app's page, or PATCH /api/v1/apps/%s with {\"endpoint\":\"https://...\"}) first, or choose another handler kind", s.App, s.App)))
		}
	case design.KindPull:
		// Nothing to compile: an external worker receives the deliveries.
	default:
		errs = append(errs, fault.Field(prefix+"handler.kind", "invalid_kind", fmt.Sprintf("%q is not a handler kind; use flow, go, webhook or pull", s.Handler.Kind)))
	}
	return c, errs
}
