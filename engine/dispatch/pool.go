package dispatch

import (
	"sync"

	"github.com/eventloom/eventloom/engine/storage"
)

// Pool runs one app's claims: at most the app's concurrency at once, and
// at most twice that many claims held in memory. Pull workers take places
// in it too (TakePull), so an app's limit bounds its handler runs and its
// leased pull deliveries together.
type Pool struct {
	mu    sync.Mutex
	limit int
	// held counts claims in memory: reserved for an insert in progress,
	// queued, or running.
	held int
	// queue[head:] are the claims waiting for a worker, oldest first
	// (queued, push and pop): the array is reused once drained, where
	// slicing off the front had every append allocate a new one.
	queue   []storage.Claim
	head    int
	workers int
	// active counts handler runs in progress (timed-out runs included
	// until they return); highWater is its maximum.
	active    int
	highWater int
	// pulled counts deliveries leased to pull workers: each takes one of
	// the app's places (and counts in active) until acked, released,
	// rejected or expired.
	pulled int
	// starved is set when someone found the pool full; the next freed
	// slot wakes the poll loop.
	starved bool
}

// Load is one app's dispatch state, for the console's in-flight view.
type Load struct {
	// Running is how many handler runs are in progress.
	Running int `json:"running"`
	// Queued is how many claimed deliveries wait in memory for a slot.
	Queued int `json:"queued"`
	// Limit is the app's concurrency.
	Limit int `json:"limit"`
	// HighWater is the most runs ever in progress at once since start.
	HighWater int `json:"highWater"`
}

// takeStarvedLocked reports whether someone found the pool full since
// the last call, and clears it: the caller, having freed a place, wakes
// the poll loop. p.mu must be held.
func (p *Pool) takeStarvedLocked() bool {
	s := p.starved
	p.starved = false
	return s
}

// memCap is how many claims a pool holds in memory: one running and one
// waiting per slot. A waiting claim starts within about one handler
// timeout, well inside its lease.
func (p *Pool) memCap() int { return 2 * p.limit }

// tryReserve takes one place in the pool for a claim about to be created.
func (p *Pool) tryReserve() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.held >= p.memCap() {
		p.starved = true
		return false
	}
	p.held++
	return true
}

// reserveUpTo takes up to n places and returns how many it took.
func (p *Pool) reserveUpTo(n int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	room := min(n, p.memCap()-p.held)
	if room <= 0 {
		p.starved = true
		return 0
	}
	p.held += room
	return room
}

func (p *Pool) unreserve(n int) {
	if n == 0 {
		return
	}
	p.mu.Lock()
	p.held -= n
	p.mu.Unlock()
}

// Enter and Leave bracket one handler run (or one pulled delivery's
// lease) for the app's running count; a run that outlived its timeout
// leaves only when it returns, so its slot stays counted meanwhile.
func (p *Pool) Enter() {
	p.mu.Lock()
	p.active++
	p.highWater = max(p.highWater, p.active)
	p.mu.Unlock()
}

// Leave ends what Enter began.
func (p *Pool) Leave() {
	p.mu.Lock()
	p.active--
	p.mu.Unlock()
}

// load is p's state for Loads.
func (p *Pool) load() Load {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Load{Running: p.active, Queued: len(p.queued()), Limit: p.limit, HighWater: p.highWater}
}

// Reservation is the pool places taken for one insert's deliveries
// created claimed; Cancel gives them back when the insert fails. The
// zero Reservation holds nothing.
type Reservation struct{ pools []*Pool }

// Add takes r's places into the reservation (a completion's triggered
// occurrences are one insert).
func (res *Reservation) Add(r Reservation) { res.pools = append(res.pools, r.pools...) }

// Cancel gives every place back.
func (res Reservation) Cancel() {
	for _, p := range res.pools {
		p.unreserve(1)
	}
}

// queued is the claims waiting for a worker. p.mu must be held.
func (p *Pool) queued() []storage.Claim { return p.queue[p.head:] }

// push queues claims. p.mu must be held.
func (p *Pool) push(claims []storage.Claim) {
	if p.head > 0 && len(p.queue)+len(claims) > cap(p.queue) {
		n := copy(p.queue, p.queue[p.head:])
		clear(p.queue[n:])
		p.queue, p.head = p.queue[:n], 0
	}
	p.queue = append(p.queue, claims...)
}

// pop takes the oldest queued claim; there must be one. p.mu must be held.
func (p *Pool) pop() storage.Claim {
	c := p.queue[p.head]
	p.queue[p.head] = storage.Claim{}
	if p.head++; p.head == len(p.queue) {
		p.queue, p.head = p.queue[:0], 0
	}
	return c
}
