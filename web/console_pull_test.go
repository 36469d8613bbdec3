package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
)

// TestConsoleSubscriptionEditorOffersPull: the subscription editor offers
// the pull kind, saves it without steps, and shows it selected again.
func TestConsoleSubscriptionEditorOffersPull(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	c := newConsoleClient(t, s.url, http.DefaultClient)
	c.signIn()
	_, doc := c.send("GET", "/apps/Mail/subscriptions/new", nil, nil)
	if doc.Find(`select[name="kind"] option[value="pull"]`).Length() != 1 {
		t.Fatal("the editor offers no pull handler")
	}
	resp, _ := c.send("POST", "/apps/Mail/subscriptions/new", url.Values{"event": {"Shop.OrderPlaced"}, "kind": {"pull"}, "enabled": {"true"}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save = %d; want 303", resp.StatusCode)
	}
	sub, err := s.eng.Subscription("Mail", design.EventRef{App: "Shop", Event: "OrderPlaced"})
	if err != nil || sub.Handler.Kind != design.KindPull || len(sub.Handler.Steps) != 0 || !sub.Enabled {
		t.Fatalf("saved %+v, %v; want an enabled pull subscription without steps", sub, err)
	}
	_, doc = c.send("GET", "/apps/Mail/subscriptions/Shop.OrderPlaced/edit", nil, nil)
	if _, ok := doc.Find(`select[name="kind"] option[value="pull"]`).Attr("selected"); !ok {
		t.Fatal("the saved pull subscription's editor does not show pull selected")
	}
}
