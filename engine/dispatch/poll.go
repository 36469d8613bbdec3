package dispatch

import (
	"time"

	"github.com/eventloom/eventloom/engine/storage"
)

func (d *Dispatcher) loop() {
	defer close(d.loopDone)
	for {
		select {
		case <-d.stop:
			return
		case <-d.wake:
		}
		d.poll()
	}
}

// poll claims what is due for every subscription with a backlog or a
// retry time that has come, as far as the pools have room, and arms a
// timer for the earliest future retry.
func (d *Dispatcher) poll() {
	ctx := d.runCtx
	now := d.cfg.Clock.Now()
	view := d.design.Load()
	var earliest time.Time
	again := false
	for id, s := range view.Subs {
		if s.Paused {
			continue
		}
		st := d.sub(id)
		if s.Pull {
			// Never run here: wake the workers waiting for it instead.
			earliest = d.pullDue(ctx, id, st, now, earliest)
			continue
		}
		d.mu.Lock()
		nd, gen := st.nextDue, st.gen
		d.mu.Unlock()
		if !st.backlog.Load() && (nd.IsZero() || nd.After(now)) {
			if !nd.IsZero() && (earliest.IsZero() || nd.Before(earliest)) {
				earliest = nd
			}
			continue
		}
		p := d.pool(s.AppID)
		room := p.reserveUpTo(min(claimBatch, p.memCap()))
		if room == 0 {
			st.backlog.Store(true)
			continue
		}
		// Cleared before the claim: a delivery stored after this point
		// sets it again, so none is forgotten.
		st.backlog.Store(false)
		claims, err := d.Claim(ctx, id, room, now, now.Add(d.cfg.LeaseDuration))
		if err != nil {
			p.unreserve(room)
			st.backlog.Store(true)
			if ctx.Err() == nil {
				d.cfg.Logger.Error("claim deliveries", "subscription_id", id, "error", err)
			}
			continue
		}
		p.unreserve(room - len(claims))
		d.offer(p, claims)
		if len(claims) == room {
			st.backlog.Store(true)
			again = true
			continue
		}
		next, ok, err := d.cfg.Store.DeliveryNextDue(ctx, id)
		if err != nil {
			if ctx.Err() == nil {
				d.cfg.Logger.Error("next due delivery", "subscription_id", id, "error", err)
			}
			continue
		}
		d.mu.Lock()
		if !ok {
			next = time.Time{}
		}
		if st.gen == gen || (!next.IsZero() && (st.nextDue.IsZero() || next.Before(st.nextDue))) {
			st.nextDue = next
		}
		nd = st.nextDue
		d.mu.Unlock()
		switch {
		case nd.IsZero():
		case !nd.After(now) && d.cfg.SharedByNodes:
			// Due, yet the claim came back short: the app holds every
			// place across the nodes. The backend's watch wakes the
			// loop when one is freed; polling meanwhile would only spin.
			st.backlog.Store(true)
		case !nd.After(now):
			again = true
		case earliest.IsZero() || nd.Before(earliest):
			earliest = nd
		}
	}
	d.arm(earliest)
	if again {
		d.signal()
	}
}

// arm sets the poll timer for at (zero: none).
func (d *Dispatcher) arm(at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if at.Equal(d.timerAt) && d.timer != nil {
		return
	}
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	d.timerAt = at
	if at.IsZero() || d.closed.Load() {
		return
	}
	d.timer = d.cfg.Clock.AfterFunc(at.Sub(d.cfg.Clock.Now()), func() {
		d.mu.Lock()
		d.timer = nil
		d.timerAt = time.Time{}
		d.mu.Unlock()
		d.signal()
	})
}

// armSweep schedules the next sweep of expired leases.
func (d *Dispatcher) armSweep() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed.Load() {
		return
	}
	d.sweepTimer = d.cfg.Clock.AfterFunc(d.cfg.SweepInterval, d.sweep)
}

// expiredParams reclaims expired leases now, counting each lost run as a
// failed attempt so a delivery whose handler kills the process ends dead
// after the configured retries (poison handling).
func (d *Dispatcher) expiredParams() *storage.DeliveryReleaseExpiredParams {
	return &storage.DeliveryReleaseExpiredParams{Now: d.cfg.Clock.Now(), MaxAttempts: d.cfg.MaxAttempts, Error: d.cfg.ExpiredError}
}

// sweep reclaims deliveries whose lease expired (their process died),
// each with a failed attempt, and lets the poll loop claim them.
func (d *Dispatcher) sweep() {
	n, err := d.cfg.Store.DeliveryReleaseExpired(d.runCtx, d.expiredParams())
	switch {
	case err != nil && d.runCtx.Err() == nil:
		d.cfg.Logger.Error("release expired leases", "error", err)
	case n > 0:
		d.cfg.Logger.Info("released expired leases", "deliveries", n)
		d.BacklogAll()
	}
	d.armSweep()
}
