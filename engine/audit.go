package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/eventloom/eventloom/engine/storage"
)

// Actor is who a change is made by, carried in the context of the call
// that makes it, so the engine can write the audit log itself: every verb
// that changes something records it, whichever front end called it.
type Actor struct {
	// Name is "admin token", a user's name, or "key " and an app key's
	// prefix.
	Name string
	// From is the client's address.
	From string
}

// actorKey is the context key of the acting Actor.
type actorKey struct{}

// WithActor returns ctx carrying who acts in it, for the audit log.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorOf returns the actor ctx carries; a context without one is the
// program acting for itself ("system"), such as the demo's seeding.
func ActorOf(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok && a.Name != "" {
		return a
	}
	return Actor{Name: "system"}
}

// AuditFilter narrows Audit. Zero fields do not filter.
type AuditFilter struct {
	Actor, Action, Target string
	Since, Until          time.Time
	BeforeID              int64
	Limit                 int
}

// Audit lists audit entries, newest first.
func (e *Engine) Audit(ctx context.Context, f AuditFilter) ([]storage.AuditEntry, error) {
	out, err := e.st.AuditList(ctx, &storage.AuditListParams{Actor: f.Actor, Action: f.Action, Target: f.Target, Since: f.Since, Until: f.Until, BeforeID: f.BeforeID, Limit: f.Limit})
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return out, nil
}

// audit records that ctx's actor did action to target, detail being a
// short summary of what changed (marshalled to JSON). It is called after
// the change committed: a failure to record is returned, so the caller
// learns the log missed it, and the message says the change itself stands.
func (e *Engine) audit(ctx context.Context, action, target string, detail any) error {
	a := ActorOf(ctx)
	b, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("audit %s %s: %w", action, target, err)
	}
	if _, err := e.st.AuditInsert(context.WithoutCancel(ctx), &storage.AuditEntry{Actor: a.Name, Action: action, Target: target, At: e.clk.Now(), From: a.From, Detail: b}); err != nil {
		e.log.Error("audit entry not written", "action", action, "target", target, "actor", a.Name, "error", err)
		return fmt.Errorf("%s %s was done, but its audit entry could not be written: %w", action, target, err)
	}
	return nil
}

// maxAuditChanges bounds how many changes one entry lists; an import of
// a large design records the count and the first ones.
const maxAuditChanges = 20

// deliveryTarget names a delivery in the audit log.
func deliveryTarget(id int64) string { return "delivery " + strconv.FormatInt(id, 10) }

// auditLabel names a design verb whose change may span several parts (a
// cascade, a rename, an import), so its audit entry says what was asked
// for rather than only what followed from it.
type auditLabel struct{ action, target string }

type auditLabelKey struct{}

func withAuditLabel(ctx context.Context, action, target string) context.Context {
	return context.WithValue(ctx, auditLabelKey{}, auditLabel{action, target})
}

// designAudit is the audit entry of a design change about to be stored
// (with it, in one transaction): under ctx's label, if any; one
// unlabelled change is named as itself ("app.create Storefront");
// otherwise one entry lists the first changes and their count.
func designAudit(ctx context.Context, at time.Time, changes []Change) (*storage.AuditEntry, error) {
	l, labelled := ctx.Value(auditLabelKey{}).(auditLabel)
	var detail any
	switch {
	case !labelled && len(changes) == 1:
		l = auditLabel{changes[0].Kind + "." + changes[0].Action, changes[0].Name}
		detail = map[string]any{"changes": changes}
	default:
		if !labelled {
			l = auditLabel{"design.change", "design"}
			if len(changes) > 0 {
				l.target = changes[0].Name
			}
		}
		shown := changes
		if len(shown) > maxAuditChanges {
			shown = shown[:maxAuditChanges]
		}
		detail = map[string]any{"count": len(changes), "changes": shown}
	}
	b, err := json.Marshal(detail)
	if err != nil {
		return nil, fmt.Errorf("audit %s %s: %w", l.action, l.target, err)
	}
	a := ActorOf(ctx)
	return &storage.AuditEntry{Actor: a.Name, Action: l.action, Target: l.target, At: at, From: a.From, Detail: b}, nil
}
