package engine

import (
	"context"
	"sync"

	"github.com/eventloom/eventloom/engine/storage"
)

// watch is the engine's side of a storage.Watcher: a backend shared by
// several nodes tells it what the others did, so a design change made on
// another node replaces this node's design snapshot at once and
// deliveries another node made due wake this node's dispatcher.
type watch struct {
	stop   func()
	reload chan struct{}
	done   chan struct{}
	once   sync.Once
}

// startWatch registers with the storage when it is a Watcher; Start calls
// it, closeWatch undoes it.
func (e *Engine) startWatch() {
	w, ok := e.st.(storage.Watcher)
	if !ok {
		return
	}
	e.watch.reload, e.watch.done = make(chan struct{}, 1), make(chan struct{})
	go e.reloadLoop()
	e.watch.stop = w.Watch(storage.WatchFuncs{
		// Called on the backend's applying goroutine, which must not be
		// held up: the reload runs on reloadLoop's.
		DesignChanged: func() {
			select {
			case e.watch.reload <- struct{}{}:
			default:
			}
		},
		DeliveriesDue: func(id int64) {
			if id == 0 {
				e.d.BacklogAll()
			} else {
				e.d.Backlog(id)
			}
		},
	})
}

// reloadLoop replaces the design snapshot with the stored design after
// each change some node committed (this node's own ones too: loading what
// is stored is correct either way).
func (e *Engine) reloadLoop() {
	for {
		select {
		case <-e.watch.done:
			return
		case <-e.watch.reload:
		}
		e.reloadDesign()
	}
}

func (e *Engine) reloadDesign() {
	e.designMu.Lock()
	defer e.designMu.Unlock()
	d, err := e.st.DesignLoad(context.Background())
	if err != nil {
		e.log.Error("reload the design another node changed", "error", err)
		return
	}
	snap, errs := e.compile(d)
	for _, x := range errs {
		e.log.Warn("stored subscription does not compile", "field", x.Field, "error", x.Message)
	}
	old := e.snap.Swap(snap)
	e.d.designChanged(old, snap)
}

// closeWatch stops the callbacks and the reload loop.
func (e *Engine) closeWatch() {
	e.watch.once.Do(func() {
		if e.watch.stop != nil {
			e.watch.stop()
			close(e.watch.done)
		}
	})
}
