package design

// AppCounts is how many events app owns and how many subscriptions it
// has, as every list of apps shows them (the REST API's and the
// console's), counted in one place so the two never disagree.
func (d Design) AppCounts(app string) (events, subscriptions int) {
	for _, ev := range d.Events {
		if ev.App == app {
			events++
		}
	}
	for _, sub := range d.Subscriptions {
		if sub.App == app {
			subscriptions++
		}
	}
	return events, subscriptions
}
