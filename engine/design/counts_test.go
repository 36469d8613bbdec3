package design

import "testing"

// TestAppCounts: an app's events are those it owns and its subscriptions
// those it has, whoever produces the event; another app's count apart.
func TestAppCounts(t *testing.T) {
	d := Design{
		Events: []Event{{App: "Shop", Name: "OrderPlaced"}, {App: "Shop", Name: "OrderPaid"}, {App: "Mail", Name: "Sent"}},
		Subscriptions: []Subscription{
			{App: "Mail", Event: EventRef{App: "Shop", Event: "OrderPlaced"}},
			{App: "Shop", Event: EventRef{App: "Shop", Event: "OrderPaid"}},
			{App: "Mail", Event: EventRef{App: "Shop", Event: "OrderPaid"}},
		},
	}
	for _, c := range []struct {
		app          string
		events, subs int
	}{{"Shop", 2, 1}, {"Mail", 1, 2}, {"Nobody", 0, 0}} {
		if e, s := d.AppCounts(c.app); e != c.events || s != c.subs {
			t.Errorf("AppCounts(%s) = %d events, %d subscriptions; want %d, %d", c.app, e, s, c.events, c.subs)
		}
	}
}
