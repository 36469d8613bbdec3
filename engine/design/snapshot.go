package design

// Design is a whole design: every app, event and subscription. The engine
// keeps one as an immutable snapshot and swaps it on every change, so the
// trigger path reads it without locks. Build lookups with Index.
type Design struct {
	Apps          []App          `json:"apps"`
	Events        []Event        `json:"events"`
	Subscriptions []Subscription `json:"subscriptions"`
}

// Index is a Design with lookups by name and id. It must not be modified
// after NewIndex.
type Index struct {
	Design
	appsByName  map[string]*App
	appsByID    map[int64]*App
	eventsByRef map[EventRef]*Event
	eventsByID  map[int64]*Event
	subsByEvent map[int64][]*Subscription
	subsByID    map[int64]*Subscription
	subsByApp   map[int64][]*Subscription
	eventsByApp map[int64][]*Event
}

// NewIndex builds the lookups of d. d is not copied: it must not change.
func NewIndex(d Design) *Index {
	x := &Index{
		Design:      d,
		appsByName:  make(map[string]*App, len(d.Apps)),
		appsByID:    make(map[int64]*App, len(d.Apps)),
		eventsByRef: make(map[EventRef]*Event, len(d.Events)),
		eventsByID:  make(map[int64]*Event, len(d.Events)),
		subsByEvent: make(map[int64][]*Subscription),
		subsByID:    make(map[int64]*Subscription, len(d.Subscriptions)),
		subsByApp:   make(map[int64][]*Subscription),
		eventsByApp: make(map[int64][]*Event),
	}
	for i := range x.Apps {
		a := &x.Apps[i]
		x.appsByName[a.Name] = a
		x.appsByID[a.ID] = a
	}
	for i := range x.Events {
		e := &x.Events[i]
		x.eventsByRef[e.Ref()] = e
		x.eventsByID[e.ID] = e
		x.eventsByApp[e.AppID] = append(x.eventsByApp[e.AppID], e)
	}
	for i := range x.Subscriptions {
		s := &x.Subscriptions[i]
		x.subsByID[s.ID] = s
		x.subsByEvent[s.EventID] = append(x.subsByEvent[s.EventID], s)
		x.subsByApp[s.AppID] = append(x.subsByApp[s.AppID], s)
	}
	return x
}

// App returns the app named name.
func (x *Index) App(name string) (*App, bool) { a, ok := x.appsByName[name]; return a, ok }

// AppByID returns the app with id.
func (x *Index) AppByID(id int64) (*App, bool) { a, ok := x.appsByID[id]; return a, ok }

// Event returns the event ref names.
func (x *Index) Event(ref EventRef) (*Event, bool) { e, ok := x.eventsByRef[ref]; return e, ok }

// EventByID returns the event with id.
func (x *Index) EventByID(id int64) (*Event, bool) { e, ok := x.eventsByID[id]; return e, ok }

// Subscription returns the subscription with id.
func (x *Index) Subscription(id int64) (*Subscription, bool) { s, ok := x.subsByID[id]; return s, ok }

// SubscriptionsOf returns the subscriptions to the event with id.
func (x *Index) SubscriptionsOf(eventID int64) []*Subscription { return x.subsByEvent[eventID] }

// SubscriptionsBy returns the subscriptions the app with id has.
func (x *Index) SubscriptionsBy(appID int64) []*Subscription { return x.subsByApp[appID] }

// EventsOf returns the events the app with id owns.
func (x *Index) EventsOf(appID int64) []*Event { return x.eventsByApp[appID] }

// SubscriptionFor returns app's subscription to the event ref names.
func (x *Index) SubscriptionFor(app string, ref EventRef) (*Subscription, bool) {
	e, ok := x.eventsByRef[ref]
	if !ok {
		return nil, false
	}
	for _, s := range x.subsByEvent[e.ID] {
		if s.App == app {
			return s, true
		}
	}
	return nil, false
}
