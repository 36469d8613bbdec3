// Package storage is the seam between the engine and a persistence backend.
// Storage is the contract every backend implements (SQLite in package store,
// in memory in store/mem; NATS JetStream later); package storagetest is the
// conformance suite that pins it. The engine decides (rules, claims, retry
// times); a backend stores atomically what it is told, enforces the queue
// cap and the lease checks, and answers queries.
//
// storage imports only engine packages (design, delivery, fault); it must
// never import a driver, web or store.
package storage

import (
	"context"
	"encoding/json"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
)

// Storage persists the design and the runtime records. Every method is safe
// for concurrent use. Write methods return only after their effects are
// durable (committed; on disk as far as the backend's sync setting allows),
// so nothing is acknowledged to a producer before it is committed. Errors a
// user can act on are *fault.Error (ErrNotFound, ErrConflict, ErrQueueFull,
// ErrLeaseLost); anything else is an internal failure.
type Storage interface {
	// DesignLoad returns the current design, every part with its id, names
	// resolved (Event.App, Subscription.App, Subscription.Event) and
	// parameters in order. Deleted parts are absent.
	DesignLoad(ctx context.Context) (design.Design, error)
	// DesignApply applies every op in one transaction, all or nothing, and
	// returns the design after it. It does not re-check the design's rules
	// (the engine has); it enforces only uniqueness (app names, event names
	// per app, one subscription per (event, app)) with fault.ErrConflict and
	// references by name with fault.ErrNotFound.
	DesignApply(ctx context.Context, p *DesignApplyParams) (design.Design, error)

	// KeyInsert stores an app key's hash.
	KeyInsert(ctx context.Context, p *KeyInsertParams) (Key, error)
	// KeyList returns an app's live keys (hashes left out), newest first;
	// revoked keys are not listed.
	KeyList(ctx context.Context, appID int64) ([]Key, error)
	// KeyDelete revokes key id of app appID; fault.ErrNotFound when absent
	// or revoked already. A revoked key's id is never given to another key
	// (ids only grow), so an id in a log names one key forever.
	KeyDelete(ctx context.Context, appID, id int64) error
	// KeyLookup finds the live key with this hash; fault.ErrNotFound when
	// none, or when it was revoked.
	KeyLookup(ctx context.Context, hash []byte) (Key, error)

	// SecretRotate makes p.Secret app p.AppID's current signing secret in
	// one step: the secret it replaces (if any) becomes Previous, valid
	// until p.PreviousValidUntil; an app without one gets it with no
	// Previous. It returns the app's secrets afterwards.
	SecretRotate(ctx context.Context, p *SecretRotateParams) (AppSecret, error)
	// SecretGet returns an app's signing secrets; fault.ErrNotFound when it
	// has none yet.
	SecretGet(ctx context.Context, appID int64) (AppSecret, error)

	// SettingGet returns a named setting (e.g. the admin token's hash);
	// fault.ErrNotFound when unset.
	SettingGet(ctx context.Context, name string) (string, error)
	// SettingPut stores a named setting, replacing any earlier value.
	SettingPut(ctx context.Context, name, value string) error

	// SessionPut stores a console sign-in by the hash of its id (never the
	// id itself), expiring at p.ExpiresAt, replacing an earlier expiry of
	// the same hash. It also deletes every session expired by p.Now, so
	// the sessions kept never grow without bound.
	SessionPut(ctx context.Context, p *SessionPutParams) error
	// SessionGet returns the session with this hash: when it expires and
	// who signed in; fault.ErrNotFound when there is none (revoked or
	// swept).
	SessionGet(ctx context.Context, hash []byte) (Session, error)
	// SessionDelete revokes the session with this hash; deleting one that
	// is absent is no error (a sign-out is idempotent).
	SessionDelete(ctx context.Context, hash []byte) error

	// Users keeps console accounts and their API tokens.
	Users
	// Attempts reads finished attempts by time (the charts' history).
	Attempts

	// AuditInsert appends one entry to the audit log and returns its id.
	// The log is append only: there is no verb to change or delete an
	// entry.
	AuditInsert(ctx context.Context, e *AuditEntry) (int64, error)
	// AuditList returns audit entries newest first (by id), filtered.
	AuditList(ctx context.Context, p *AuditListParams) ([]AuditEntry, error)
	// DesignVersionList returns design versions newest first, without
	// their documents.
	DesignVersionList(ctx context.Context, p *DesignVersionListParams) ([]DesignVersion, error)
	// DesignVersionGet returns one design version with its document;
	// fault.ErrNotFound when there is no such version.
	DesignVersionGet(ctx context.Context, version int64) (DesignVersion, error)

	// OccurrenceInsert stores one occurrence and its deliveries atomically,
	// or nothing: when the event already has p.QueueCap pending occurrences
	// it returns a *fault.Error of kind fault.ErrQueueFull and stores
	// nothing. The check and the insert are one atomic step and cost O(1)
	// (counters kept with the writes), never a scan.
	OccurrenceInsert(ctx context.Context, p *OccurrenceInsertParams) (*OccurrenceInsertResult, error)
	// OccurrenceInsertBatch stores several occurrences with their
	// deliveries in one transaction (a batch trigger's items are committed
	// together or not at all). Items are checked against their QueueCap in
	// order, each counting the items accepted before it: an item over its
	// cap is refused alone (its outcome's Err is a *fault.Error of kind
	// fault.ErrQueueFull, nothing of it stored) and the items after it go
	// on. It returns one outcome per item, in order; an error returned
	// beside them means nothing at all was stored.
	OccurrenceInsertBatch(ctx context.Context, p []*OccurrenceInsertParams) ([]OccurrenceInsertOutcome, error)

	// DeliveryClaim claims up to p.Limit deliveries of one subscription that
	// are due: Pending or Retrying with NextAttemptAt <= p.Now. Each becomes
	// Running under a new claim (Claim.Token) leased until p.LeaseUntil.
	// Concurrent callers never receive the same delivery.
	DeliveryClaim(ctx context.Context, p *DeliveryClaimParams) ([]Claim, error)
	// DeliveryComplete records one finished attempt and the delivery's new
	// state: Succeeded (with the occurrences its handler triggered, stored
	// in the same transaction so they exist exactly once), Retrying (with
	// NextAttemptAt) or Dead. The attempt is stored with its Log. It
	// succeeds only while the delivery is Running under p.Token; otherwise
	// it returns fault.ErrLeaseLost and changes nothing. When a triggered occurrence's queue is full the whole
	// completion is refused with fault.ErrQueueFull and nothing changes.
	DeliveryComplete(ctx context.Context, p *DeliveryCompleteParams) (*DeliveryCompleteResult, error)
	// DeliveryNextDue returns the earliest NextAttemptAt among the Pending
	// and Retrying deliveries of one subscription, and false when it has
	// none, so a dispatcher can sleep until then instead of polling (after a
	// restart it knows no retry times of its own).
	DeliveryNextDue(ctx context.Context, subscriptionID int64) (time.Time, bool, error)
	// DeliveryRelease returns Running deliveries to Pending without counting
	// an attempt, for claims a dispatcher will not run (shutdown, lease
	// about to lapse). A delivery no longer under the given token is left
	// alone.
	DeliveryRelease(ctx context.Context, p *DeliveryReleaseParams) error
	// DeliveryReleaseExpired reclaims every Running delivery whose lease
	// ended before p.Now. The process that held it is presumed to have died
	// while running it (possibly killed by its handler), so the lost run
	// counts as a failed attempt, recorded with p.Error and started at the
	// claim: the delivery becomes Retrying, due at p.Now, or Dead when it
	// reaches p.MaxAttempts attempts (its occurrence settled with it). A
	// handler that crashes every process that runs it thus ends dead
	// instead of looping forever. It returns how many it reclaimed.
	DeliveryReleaseExpired(ctx context.Context, p *DeliveryReleaseExpiredParams) (int, error)
	// DeliveryRetryNow makes a Retrying or Pending delivery due at now.
	// fault.ErrConflict when it is in another state.
	DeliveryRetryNow(ctx context.Context, id int64, now time.Time) (delivery.Delivery, error)
	// DeliveryReplay makes a Dead (or Discarded) delivery Pending again, due
	// at now, with its attempt count kept and its ScheduleBase set to that
	// count (the retry schedule starts over); its occurrence becomes
	// pending again (and counts against the queue cap, which it may exceed
	// by that one). fault.ErrConflict when it is in another state.
	DeliveryReplay(ctx context.Context, id int64, now time.Time) (delivery.Delivery, error)
	// DeliveryDiscard drops an unfinished or dead delivery (Discarded).
	// fault.ErrConflict when it already succeeded or was discarded.
	DeliveryDiscard(ctx context.Context, id int64, now time.Time) (delivery.Delivery, error)

	// OccurrenceGet returns one occurrence with its deliveries and each
	// delivery's attempts.
	OccurrenceGet(ctx context.Context, id int64) (delivery.Occurrence, error)
	// OccurrenceList returns occurrences newest first (by id), filtered.
	OccurrenceList(ctx context.Context, p *OccurrenceListParams) ([]delivery.Occurrence, error)
	// TraceGet returns every occurrence of a trace, oldest first, each with
	// its deliveries and their attempts; fault.ErrNotFound when none.
	TraceGet(ctx context.Context, traceID int64) ([]delivery.Occurrence, error)
	// TraceList returns one page of a trace's occurrences, oldest first,
	// each with its deliveries and their attempts: at most p.Limit of
	// them with ids above p.AfterID. fault.ErrNotFound when the trace has
	// no occurrences at all (an empty page of an existing trace is not an
	// error).
	TraceList(ctx context.Context, p *TraceListParams) ([]delivery.Occurrence, error)
	// OccurrenceDepth is how many occurrences the chain ending at
	// occurrence id has from its root down (a root alone is 1), following
	// each occurrence's parent delivery to that delivery's occurrence. It
	// stops counting past limit and then returns limit+1, so a cycle of
	// triggers costs at most limit steps. fault.ErrNotFound when id does
	// not exist.
	OccurrenceDepth(ctx context.Context, id int64, limit int) (int, error)
	// DeliveryGet returns one delivery with its attempts.
	DeliveryGet(ctx context.Context, id int64) (delivery.Delivery, error)
	// DeliveryList returns deliveries newest first (by id), filtered.
	DeliveryList(ctx context.Context, p *DeliveryListParams) ([]delivery.Delivery, error)
	// DeliveryListTouched returns, oldest first (by id) and with their
	// attempts, the deliveries that may have changed in the window
	// [p.Since, p.Until): created before Until and last updated at or
	// after Since. A delivery's last update is at or after its last
	// attempt's end, so every attempt that started or ended in the window
	// is on one of them; the time-travel view replays them. Both bounds
	// and a positive Limit are required (the limit is capped as
	// DeliveryList's is).
	DeliveryListTouched(ctx context.Context, p *DeliveryTouchedParams) ([]delivery.Delivery, error)
	// DeliveryCount counts the deliveries DeliveryList would return
	// without a page limit (BeforeID still bounds it), for a bulk
	// action's dry run.
	DeliveryCount(ctx context.Context, p *DeliveryListParams) (int, error)
	// DeliveryCounts counts deliveries by status, those updated at or after
	// since (zero: all).
	DeliveryCounts(ctx context.Context, since time.Time) (map[delivery.Status]int, error)
	// DeliveriesAhead counts the waiting (pending or retrying) deliveries
	// of subscription subID that a dispatcher claims before delivery id,
	// due at due: those due earlier, and those due at the same time with
	// a smaller id (DeliveryClaim's order). It stops counting at limit.
	DeliveriesAhead(ctx context.Context, subID, id int64, due time.Time, limit int) (int, error)
	// QueueDepths returns the pending occurrences per event id (events with
	// none are absent), from the counters, in O(events).
	QueueDepths(ctx context.Context) (map[int64]int, error)

	// Close stops the backend after finishing the writes already accepted.
	Close() error
}

// DesignOpKind says what one DesignOp does.
type DesignOpKind int

// The design operations.
const (
	// AppPut inserts App (ID 0) or updates the app with App.ID.
	AppPut DesignOpKind = iota + 1
	// AppDelete deletes the app with ID (its events and subscriptions must
	// be deleted by ops before it in the same apply).
	AppDelete
	// EventPut inserts or updates Event; Event.App names its owner.
	EventPut
	// EventDelete deletes the event with ID.
	EventDelete
	// SubscriptionPut inserts or updates Subscription; Subscription.App and
	// Subscription.Event name the handling app and the event.
	SubscriptionPut
	// SubscriptionDelete deletes the subscription with ID and discards its
	// unfinished deliveries.
	SubscriptionDelete
)

// DesignOp is one change to the design. Exactly the field matching Kind is
// set (ID for deletes). Puts reference other parts by name, so one apply
// may create an app, its events and their subscriptions together.
type DesignOp struct {
	Kind         DesignOpKind
	ID           int64
	App          *design.App
	Event        *design.Event
	Subscription *design.Subscription
}

// DesignApplyParams is one atomic design change.
type DesignApplyParams struct {
	Ops []DesignOp
	Now time.Time
	// Audit, when set, is appended to the audit log in the same
	// transaction, so a design change is never stored without its entry
	// (nor an entry without its change).
	Audit *AuditEntry
	// Version, when set, is stored as the next design version in the
	// same transaction (its Version number is assigned then).
	Version *DesignVersion
}

// Key is an app's API key, stored as a hash; the clear key is shown once at
// creation and never stored.
type Key struct {
	ID        int64     `json:"id"`
	AppID     int64     `json:"-"`
	App       string    `json:"app"`
	Prefix    string    `json:"prefix"`
	Hash      []byte    `json:"-"`
	CreatedAt time.Time `json:"createdAt"`
}

// KeyInsertParams is a new key for an app.
type KeyInsertParams struct {
	AppID int64
	// Prefix is the first characters of the clear key, shown to tell keys
	// apart.
	Prefix    string
	Hash      []byte
	CreatedAt time.Time
}

// NewDelivery is one delivery to create with an occurrence.
type NewDelivery struct {
	SubscriptionID int64
	AppID          int64
	// Claim true creates it Running under claim token 1 leased until the
	// insert's LeaseUntil: the caller dispatches it straight from memory
	// after the commit. False creates it Pending, due at CreatedAt.
	Claim bool
}

// OccurrenceInsertParams is one occurrence to store.
type OccurrenceInsertParams struct {
	EventID int64
	AppID   int64
	// Parameters is the checked, canonical JSON object of the parameters.
	Parameters json.RawMessage
	// TraceID is the root occurrence's id; 0 makes this a root (its trace
	// is its own id).
	TraceID          int64
	ParentDeliveryID int64
	CreatedAt        time.Time
	// QueueCap is the most pending occurrences this event may have; the
	// insert is refused with fault.ErrQueueFull when it has that many.
	QueueCap   int
	Deliveries []NewDelivery
	// LeaseUntil is the lease of the deliveries created claimed.
	LeaseUntil time.Time
	// Traceparent is the W3C trace context of the span that produced
	// the occurrence (its trigger's or a flow step's; with tracing off,
	// what the producer sent), already checked by the engine; empty when
	// none. It is stored on the occurrence and returned on every Claim of
	// its deliveries, whose spans are its children.
	Traceparent string
}

// OccurrenceInsertResult is what an insert created. Deliveries are in the
// order of the params' Deliveries.
type OccurrenceInsertResult struct {
	OccurrenceID int64
	TraceID      int64
	Deliveries   []Claim
}

// OccurrenceInsertOutcome is what became of one item of an
// OccurrenceInsertBatch: exactly one of Result (stored) and Err (refused)
// is set.
type OccurrenceInsertOutcome struct {
	Result *OccurrenceInsertResult
	Err    error
}

// DeliveryClaimParams asks for due deliveries of one subscription.
type DeliveryClaimParams struct {
	SubscriptionID int64
	Limit          int
	Now            time.Time
	LeaseUntil     time.Time
	// AppLimit, when positive, is the subscription's app's concurrency
	// limit held in storage: the claim takes only as many deliveries as
	// keep the app's leased deliveries (Running with a lease not ended
	// before Now, over all its subscriptions, pull-leased ones included)
	// at most AppLimit, and none when it has that many already. Several
	// nodes claiming from one shared backend each see only their own
	// runs, so only the backend, deciding in the same atomic step as the
	// claim, can keep the app under its limit across all of them. 0 means
	// no limit here (one process claims, and its own pools hold the
	// limit).
	AppLimit int
}

// Claim is a delivery a dispatcher holds: enough to run its handler without
// another read. Token identifies this claim; completion must present it.
type Claim struct {
	DeliveryID     int64
	OccurrenceID   int64
	SubscriptionID int64
	AppID          int64
	EventID        int64
	TraceID        int64
	Token          int64
	// Attempts is how many attempts finished before this claim.
	Attempts int
	// ScheduleBase is the delivery's ScheduleBase: the retry schedule
	// counts failures after that many attempts.
	ScheduleBase int
	Parameters   json.RawMessage
	// CreatedAt is the occurrence's creation time (for latency).
	CreatedAt  time.Time
	LeaseUntil time.Time
	// Traceparent is the occurrence's Traceparent, so a webhook or pull
	// delivery passes the producer's trace on without another read.
	Traceparent string
}

// DeliveryCompleteParams records one finished attempt.
type DeliveryCompleteParams struct {
	DeliveryID int64
	Token      int64
	// Completion is the delivery's new state, from Succeeded (with the
	// occurrences the handler triggered), Retrying(next) or Dead; a
	// backend refuses one whose Err is not nil with fault.ErrInvalid.
	Completion Completion
	Attempt    delivery.Attempt
}

// DeliveryCompleteResult holds what the completion created.
type DeliveryCompleteResult struct {
	Triggered []OccurrenceInsertResult
	// OccurrenceStatus is the delivery's occurrence's status afterwards.
	OccurrenceStatus delivery.OccurrenceStatus
}

// TraceListParams pages through one trace, oldest first.
type TraceListParams struct {
	TraceID int64
	// AfterID pages: only ids above it (the last id of the previous page).
	AfterID int64
	// Limit is the page size; it must be positive.
	Limit int
}

// DeliveryReleaseExpiredParams reclaims deliveries whose lease ended.
type DeliveryReleaseExpiredParams struct {
	// Now is the time leases are compared with, and the reclaimed
	// deliveries' next attempt time.
	Now time.Time
	// MaxAttempts is the attempt count, since the delivery's schedule last
	// started over (its ScheduleBase, set by a replay), at which a
	// reclaimed delivery is dead (the engine's MaxRetries + 1); 0 means
	// never.
	MaxAttempts int
	// Error is recorded on the lost attempt and as the delivery's last
	// error.
	Error string
}

// DeliveryReleaseParams hands claims back.
type DeliveryReleaseParams struct {
	Claims []Claim
	Now    time.Time
}

// OccurrenceListParams filters OccurrenceList. Zero fields do not filter.
type OccurrenceListParams struct {
	AppID   int64
	EventID int64
	Status  delivery.OccurrenceStatus
	TraceID int64
	Since   time.Time
	Until   time.Time
	// Params are payload conditions, all of which must hold.
	Params []ParamCond
	// BeforeID pages: only ids below it (the last id of the previous page).
	BeforeID int64
	// Limit caps the page; 0 means 50.
	Limit int
}

// DeliveryTouchedParams selects DeliveryListTouched's window and page.
type DeliveryTouchedParams struct {
	Since, Until time.Time
	// AfterID pages: only ids above it (the last id of the previous page).
	AfterID int64
	Limit   int
}

// DeliveryListParams filters DeliveryList. Zero fields do not filter.
type DeliveryListParams struct {
	AppID          int64
	EventID        int64
	OccurrenceID   int64
	SubscriptionID int64
	// TraceID selects the deliveries of the occurrences of one trace.
	TraceID int64
	Status  delivery.Status
	Since   time.Time
	Until   time.Time
	// Params are payload conditions on the deliveries' occurrences, all
	// of which must hold.
	Params   []ParamCond
	BeforeID int64
	Limit    int
}
