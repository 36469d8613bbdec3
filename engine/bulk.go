package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/engine/storage"
)

// BulkAction is what a bulk action does to each delivery it selects.
type BulkAction string

// The bulk actions, each with the states it applies to; a selected
// delivery in another state is skipped (counted, left alone).
const (
	// BulkReplay makes dead and discarded deliveries pending again (as
	// Replay).
	BulkReplay BulkAction = "replay"
	// BulkRetry makes retrying and pending deliveries due now (as
	// RetryNow).
	BulkRetry BulkAction = "retry"
	// BulkDiscard drops unfinished (pending, running, retrying) and dead
	// deliveries (as Discard).
	BulkDiscard BulkAction = "discard"
)

// applies reports whether a acts on a delivery in state st.
func (a BulkAction) applies(st delivery.Status) bool {
	switch a {
	case BulkReplay:
		return st == delivery.Dead || st == delivery.Discarded
	case BulkRetry:
		return st == delivery.Retrying || st == delivery.Pending
	case BulkDiscard:
		return st == delivery.Pending || st == delivery.Running || st == delivery.Retrying || st == delivery.Dead
	}
	return false
}

// Bulk job states.
const (
	BulkRunning   = "running"
	BulkDone      = "done"
	BulkCancelled = "cancelled"
)

// BulkJob is a bulk action's progress. Matched is how many deliveries
// the filter selected when it started; Done were acted on, Skipped were
// in a state the action does not apply to (or left it meanwhile), Failed
// could not be changed for another reason (the log has it).
type BulkJob struct {
	ID         string     `json:"id"`
	Action     BulkAction `json:"action"`
	Matched    int        `json:"matched"`
	Done       int        `json:"done"`
	Skipped    int        `json:"skipped"`
	Failed     int        `json:"failed"`
	State      string     `json:"state"`
	StartedAt  time.Time  `json:"startedAt"`
	FinishedAt *time.Time `json:"finishedAt"`
	// Actor is who started it.
	Actor string `json:"actor"`
}

// bulkJob is a running or finished job: its progress under mu, the
// cancel of its run, and done, closed when the run has returned.
type bulkJob struct {
	mu     sync.Mutex
	job    BulkJob
	cancel context.CancelFunc
	done   chan struct{}
}

func (j *bulkJob) snapshot() BulkJob {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := j.job
	if out.FinishedAt != nil {
		at := *out.FinishedAt
		out.FinishedAt = &at
	}
	return out
}

// bulkJobs keeps the jobs of this engine in memory: a restart forgets
// them (and stops a running one; what it had done stays done, each
// delivery's change being its own transaction). At most maxBulkJobs are
// kept, the oldest finished ones dropped first.
type bulkJobs struct {
	mu   sync.Mutex
	jobs map[string]*bulkJob
	wg   sync.WaitGroup
}

// maxBulkJobs bounds the jobs kept for GET: enough for any console
// session's recent history, small enough to hold in memory.
const maxBulkJobs = 100

// isEmpty reports whether f selects every delivery there is, which a
// bulk action refuses so nobody acts on everything by accident.
func (f DeliveryFilter) isEmpty() bool {
	return f.App == "" && f.Event == (design.EventRef{}) && f.Subscription == "" && f.Status == "" &&
		f.Since.IsZero() && f.Until.IsZero() && f.TraceID == 0 && len(f.Params) == 0 && f.OccurrenceID == 0
}

// bulkParams checks a bulk action's filter and action and resolves the
// filter (without paging).
func (e *Engine) bulkParams(f DeliveryFilter, action BulkAction) (*storage.DeliveryListParams, error) {
	switch action {
	case BulkReplay, BulkRetry, BulkDiscard:
	default:
		return nil, fault.Field("action", "bad_action", fmt.Sprintf("action must be replay, retry or discard; got %q", action))
	}
	if f.isEmpty() {
		return nil, fault.Field("filter", "empty_filter",
			"a bulk action needs a filter (app, event, subscription, status, since, until, trace or a param.Name); to act on every delivery, say so with a time window such as since")
	}
	f.BeforeID, f.Limit = 0, 0
	return e.deliveryParams(f)
}

// BulkCount counts the deliveries a bulk action with filter f would
// select (its dry run). An empty filter is refused.
func (e *Engine) BulkCount(ctx context.Context, f DeliveryFilter, action BulkAction) (int, error) {
	p, err := e.bulkParams(f, action)
	if err != nil {
		return 0, err
	}
	n, err := e.st.DeliveryCount(ctx, p)
	if err != nil {
		return 0, fmt.Errorf("count deliveries for a bulk %s: %w", action, err)
	}
	return n, nil
}

// BulkStart starts action on every delivery filter f selects now (those
// created later are left out) and returns the job at once; it runs in the
// background in batches of Config.BulkBatchSize, newest first, pausing
// Config.BulkPause between batches, until done or cancelled. The start
// and the end are written to the audit log.
func (e *Engine) BulkStart(ctx context.Context, f DeliveryFilter, action BulkAction) (BulkJob, error) {
	p, err := e.bulkParams(f, action)
	if err != nil {
		return BulkJob{}, err
	}
	n, err := e.st.DeliveryCount(ctx, p)
	if err != nil {
		return BulkJob{}, fmt.Errorf("count deliveries for a bulk %s: %w", action, err)
	}
	p.Limit = 1
	newest, err := e.st.DeliveryList(ctx, p)
	if err != nil {
		return BulkJob{}, fmt.Errorf("find the newest delivery for a bulk %s: %w", action, err)
	}
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return BulkJob{}, fmt.Errorf("bulk %s id: %w", action, err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	j := &bulkJob{cancel: cancel, done: make(chan struct{}),
		job: BulkJob{ID: hex.EncodeToString(id[:]), Action: action, Matched: n, State: BulkRunning, StartedAt: e.clk.Now(), Actor: ActorOf(ctx).Name}}
	if err := e.audit(ctx, "delivery.bulk_"+string(action), "bulk "+j.job.ID, map[string]any{"matched": n, "filter": f.summary()}); err != nil {
		cancel()
		return BulkJob{}, err
	}
	e.bulk.add(j)
	if len(newest) == 0 {
		e.finishBulk(runCtx, j)
		return j.snapshot(), nil
	}
	p.BeforeID = newest[0].ID + 1
	e.bulk.wg.Add(1)
	go func() {
		defer e.bulk.wg.Done()
		e.runBulk(runCtx, j, p)
	}()
	return j.snapshot(), nil
}

// summary is the filter for the audit log.
func (f DeliveryFilter) summary() map[string]any {
	out := map[string]any{}
	add := func(k string, v any, set bool) {
		if set {
			out[k] = v
		}
	}
	add("app", f.App, f.App != "")
	add("event", f.Event.String(), f.Event != (design.EventRef{}))
	add("subscription", f.Subscription, f.Subscription != "")
	add("status", f.Status, f.Status != "")
	add("since", f.Since, !f.Since.IsZero())
	add("until", f.Until, !f.Until.IsZero())
	add("trace", f.TraceID, f.TraceID != 0)
	for _, q := range f.Params {
		out["param."+q.Name] = q.Value
	}
	return out
}

func (b *bulkJobs) add(j *bulkJob) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.jobs == nil {
		b.jobs = map[string]*bulkJob{}
	}
	b.jobs[j.job.ID] = j
	if len(b.jobs) <= maxBulkJobs {
		return
	}
	var finished []*bulkJob
	for _, x := range b.jobs {
		if s := x.snapshot(); s.State != BulkRunning {
			finished = append(finished, x)
		}
	}
	sort.Slice(finished, func(i, k int) bool { return finished[i].job.StartedAt.Before(finished[k].job.StartedAt) })
	for _, x := range finished[:min(len(finished), len(b.jobs)-maxBulkJobs)] {
		delete(b.jobs, x.job.ID)
	}
}

func (b *bulkJobs) get(id string) (*bulkJob, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	j, ok := b.jobs[id]
	if !ok {
		return nil, fault.New(fault.ErrNotFound, "not_found", fmt.Sprintf("there is no bulk action %q (jobs are kept in memory: a restart forgets them)", id))
	}
	return j, nil
}

// runBulk acts on the selected deliveries batch by batch until none is
// left or ctx is cancelled.
func (e *Engine) runBulk(ctx context.Context, j *bulkJob, p *storage.DeliveryListParams) {
	defer e.finishBulk(ctx, j)
	p.Limit = e.cfg.BulkBatchSize
	for {
		if ctx.Err() != nil {
			return
		}
		ds, err := e.st.DeliveryList(ctx, p)
		if err != nil {
			if ctx.Err() == nil {
				e.log.Error("bulk action stopped: listing deliveries failed", "bulk", j.job.ID, "error", err)
			}
			return
		}
		for _, d := range ds {
			if ctx.Err() != nil {
				return
			}
			p.BeforeID = d.ID
			e.bulkOne(ctx, j, d)
		}
		if len(ds) < p.Limit {
			return
		}
		if !e.bulkPause(ctx) {
			return
		}
	}
}

// bulkPause waits Config.BulkPause on the clock, and false when ctx was
// cancelled first.
func (e *Engine) bulkPause(ctx context.Context) bool {
	if e.cfg.BulkPause <= 0 {
		return ctx.Err() == nil
	}
	wake := make(chan struct{})
	t := e.clk.AfterFunc(e.cfg.BulkPause, func() { close(wake) })
	defer t.Stop()
	select {
	case <-wake:
		return true
	case <-ctx.Done():
		return false
	}
}

// bulkOne applies the job's action to one delivery and counts it.
func (e *Engine) bulkOne(ctx context.Context, j *bulkJob, d delivery.Delivery) {
	action := j.job.Action
	count := func(f func(*BulkJob)) {
		j.mu.Lock()
		f(&j.job)
		j.mu.Unlock()
	}
	if !action.applies(d.Status) {
		count(func(b *BulkJob) { b.Skipped++ })
		return
	}
	now := e.clk.Now()
	var err error
	var changed delivery.Delivery
	switch action {
	case BulkReplay:
		if changed, err = e.st.DeliveryReplay(ctx, d.ID, now); err == nil {
			e.deliveryMadeDue(changed, notify.DeliveryReplayed)
		}
	case BulkRetry:
		if changed, err = e.st.DeliveryRetryNow(ctx, d.ID, now); err == nil {
			e.deliveryMadeDue(changed, notify.DeliveryRetried)
		}
	case BulkDiscard:
		if changed, err = e.st.DeliveryDiscard(ctx, d.ID, now); err == nil {
			e.publishOp(changed, notify.DeliveryDiscarded)
		}
	}
	switch {
	case err == nil:
		count(func(b *BulkJob) { b.Done++ })
	case errors.Is(err, fault.ErrConflict) || errors.Is(err, fault.ErrNotFound):
		// It left the state the action applies to since it was listed.
		count(func(b *BulkJob) { b.Skipped++ })
	default:
		if ctx.Err() != nil {
			return
		}
		e.log.Error("bulk action: a delivery could not be changed", "bulk", j.job.ID, "delivery_id", d.ID, "error", err)
		count(func(b *BulkJob) { b.Failed++ })
	}
}

// finishBulk ends a job as done or cancelled, audits its outcome and
// closes its done channel.
func (e *Engine) finishBulk(ctx context.Context, j *bulkJob) {
	j.mu.Lock()
	now := e.clk.Now()
	j.job.FinishedAt = &now
	j.job.State = BulkDone
	if ctx.Err() != nil {
		j.job.State = BulkCancelled
	}
	out := j.job
	j.mu.Unlock()
	if err := e.audit(context.WithoutCancel(ctx), "delivery.bulk_"+string(out.Action)+"_"+out.State, "bulk "+out.ID,
		map[string]any{"matched": out.Matched, "done": out.Done, "skipped": out.Skipped, "failed": out.Failed}); err != nil {
		e.log.Error("bulk action finished without its audit entry", "bulk", out.ID, "error", err)
	}
	j.cancel()
	close(j.done)
}

// BulkGet returns a bulk action's progress; fault.ErrNotFound for an id
// this engine does not know.
func (e *Engine) BulkGet(id string) (BulkJob, error) {
	j, err := e.bulk.get(id)
	if err != nil {
		return BulkJob{}, err
	}
	return j.snapshot(), nil
}

// BulkCancel stops a running bulk action after the delivery it is
// changing and returns its state then (cancelled; a job that had
// finished already is returned as it ended). It waits for the run to
// stop, or for ctx.
func (e *Engine) BulkCancel(ctx context.Context, id string) (BulkJob, error) {
	j, err := e.bulk.get(id)
	if err != nil {
		return BulkJob{}, err
	}
	running := j.snapshot().State == BulkRunning
	j.cancel()
	select {
	case <-j.done:
	case <-ctx.Done():
		return BulkJob{}, fmt.Errorf("cancel bulk action %s: %w", id, ctx.Err())
	}
	if running {
		// Who cancelled it (the end's entry names who started it).
		if err := e.audit(ctx, "delivery.bulk_cancel", "bulk "+id, nil); err != nil {
			return j.snapshot(), err
		}
	}
	return j.snapshot(), nil
}

// BulkWait blocks until a bulk action has finished (done or cancelled),
// or ctx ends, and returns its final state.
func (e *Engine) BulkWait(ctx context.Context, id string) (BulkJob, error) {
	j, err := e.bulk.get(id)
	if err != nil {
		return BulkJob{}, err
	}
	select {
	case <-j.done:
		return j.snapshot(), nil
	case <-ctx.Done():
		return BulkJob{}, fmt.Errorf("wait for bulk action %s: %w", id, ctx.Err())
	}
}

// stopBulk cancels every running job and waits for them, at Close.
func (e *Engine) stopBulk() {
	e.bulk.mu.Lock()
	for _, j := range e.bulk.jobs {
		j.cancel()
	}
	e.bulk.mu.Unlock()
	e.bulk.wg.Wait()
}
