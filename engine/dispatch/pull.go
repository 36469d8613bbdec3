package dispatch

import (
	"context"
	"time"
)

// PullWait is the channel closed when a delivery of pull subscription id
// may be due; take it before looking, so a wake after the look is not
// missed.
func (d *Dispatcher) PullWait(id int64) <-chan struct{} {
	d.pullMu.Lock()
	defer d.pullMu.Unlock()
	ch := d.pullWaiting[id]
	if ch == nil {
		ch = make(chan struct{})
		d.pullWaiting[id] = ch
	}
	return ch
}

// wakePull wakes the workers waiting on subscription id.
func (d *Dispatcher) wakePull(id int64) {
	d.pullMu.Lock()
	defer d.pullMu.Unlock()
	if ch := d.pullWaiting[id]; ch != nil {
		close(ch)
		delete(d.pullWaiting, id)
	}
}

// pullDue is the poll loop's step for a pull subscription: it wakes the
// waiting workers when a delivery may be due (a new occurrence, a retry
// whose time came, a replay, room freed in the app's pool) and returns
// earliest lowered to the subscription's next known retry time.
func (d *Dispatcher) pullDue(ctx context.Context, id int64, st *subState, now, earliest time.Time) time.Time {
	d.mu.Lock()
	nd, gen := st.nextDue, st.gen
	d.mu.Unlock()
	backlog := st.backlog.Swap(false)
	due := !nd.IsZero() && !nd.After(now)
	if backlog || due {
		d.wakePull(id)
	}
	var next time.Time
	if backlog {
		// After a restart (or a sweep) only storage knows the retry times.
		t, ok, err := d.cfg.Store.DeliveryNextDue(ctx, id)
		switch {
		case err != nil && ctx.Err() == nil:
			d.cfg.Logger.Error("next due delivery", "subscription_id", id, "error", err)
		case ok && t.After(now):
			next = t
		}
	}
	d.mu.Lock()
	if due && st.gen == gen {
		st.nextDue = time.Time{}
	}
	if !next.IsZero() && (st.nextDue.IsZero() || next.Before(st.nextDue)) {
		st.nextDue = next
	}
	nd = st.nextDue
	d.mu.Unlock()
	if nd.After(now) && (earliest.IsZero() || nd.Before(earliest)) {
		earliest = nd
	}
	return earliest
}

// TakePull takes up to n of app appID's places for deliveries of pull
// subscription subID about to be leased to a worker, and returns the
// pool and how many it took. When none is free it marks the subscription
// as having a backlog, so the next place freed wakes its workers.
func (d *Dispatcher) TakePull(subID, appID int64, n int) (*Pool, int) {
	p := d.pool(appID)
	for {
		if room := p.takePull(n); room > 0 {
			return p, room
		}
		// Full: the next place freed wakes the poll loop, which wakes
		// the workers of a subscription with a backlog. Looked at again
		// after marking it, so a place freed in between is not missed.
		d.sub(subID).backlog.Store(true)
		if p.pullRoom() <= 0 {
			return p, 0
		}
	}
}

// takePull takes up to n places for pulled deliveries and returns how
// many it took; none marks the pool starved.
func (p *Pool) takePull(n int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	room := min(n, p.limit-p.workers-p.pulled)
	if room <= 0 {
		p.starved = true
		return 0
	}
	p.pulled += room
	return room
}

// pullRoom is how many places the app has free for pulled deliveries.
func (p *Pool) pullRoom() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.limit - p.workers - p.pulled
}

// GivePull gives n pulled places of p back, lets queued claims of other
// handlers use them and wakes whoever found the pool full.
func (d *Dispatcher) GivePull(p *Pool, n int) {
	if n == 0 {
		return
	}
	p.mu.Lock()
	p.pulled -= n
	starved := p.takeStarvedLocked()
	p.mu.Unlock()
	d.offer(p, nil)
	if starved {
		d.signal()
	}
}
