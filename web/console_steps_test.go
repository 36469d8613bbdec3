package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/eventloom/eventloom/engine"
)

// cardTypes lists the step cards' types in the order the page shows them.
func cardTypes(doc *goquery.Document) string {
	var out []string
	doc.Find(`[data-step-list] > [data-testid="step-card"]`).Each(func(_ int, c *goquery.Selection) {
		out = append(out, c.AttrOr("data-type", "?"))
	})
	return strings.Join(out, ",")
}

// cardFields lists the visible inputs of each card by field, "message
// when | duration when".
func cardFields(doc *goquery.Document) string {
	var cards []string
	doc.Find(`[data-step-list] > [data-testid="step-card"]`).Each(func(_ int, c *goquery.Selection) {
		var names []string
		c.Find(`input:not([type=hidden]), select`).Each(func(_ int, in *goquery.Selection) {
			parts := strings.SplitN(in.AttrOr("name", ""), ".", 3)
			names = append(names, parts[len(parts)-1])
		})
		cards = append(cards, strings.Join(names, " "))
	})
	return strings.Join(cards, " | ")
}

// TestConsoleStepEditorWithoutScript drives the step-card editor as a
// browser without JavaScript would: a plain POST of the cards saves the
// flow in their order; a card's move, remove and add buttons, and the
// trigger's "show its parameters" button, show the editor again with the
// change and save nothing; values that do not parse, and expressions that
// do not compile, are refused under the field of their step.
func TestConsoleStepEditorWithoutScript(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	c := newConsoleClient(t, s.url, http.DefaultClient)
	c.signIn()

	resp, doc := c.send("GET", "/apps/Mail/subscriptions/new", nil, nil)
	if resp.StatusCode != 200 || cardTypes(doc) != "log" || cardFields(doc) != "message when" {
		t.Fatalf("new editor = %d cards %q fields %q; want one log card with message and when", resp.StatusCode, cardTypes(doc), cardFields(doc))
	}
	if n := doc.Find(`[data-testid="step-menu"] button[name="add"]`).Length(); n != 5 {
		t.Fatalf("the menu offers %d step types, want log, wait, trigger, fail and http", n)
	}
	if first := doc.Find(`[data-testid="subscription-editor"] button[type="submit"]`).First(); first.AttrOr("name", "") != "" {
		t.Fatalf("the form's first submit button is %q: Enter in a field would press it instead of Save", first.AttrOr("name", ""))
	}
	resp, doc = c.send("GET", "/apps/Stock/subscriptions/Shop.OrderPlaced/edit", nil, nil)
	if resp.StatusCode != 200 || cardTypes(doc) != "log,trigger" || cardFields(doc) != "message when | event param.Sku when" {
		t.Fatalf("edit = %d cards %q fields %q", resp.StatusCode, cardTypes(doc), cardFields(doc))
	}
	if v := doc.Find(`[data-testid="mapping-Sku"] input`).AttrOr("value", ""); v != "Sku" {
		t.Fatalf("the trigger's Sku mapping = %q, want Sku", v)
	}

	// Three cards as a page without the script posts them: keys in the
	// order the cards stand, fields under each key.
	flow := func(extra ...string) url.Values {
		f := url.Values{"event": {"Shop.OrderPlaced"}, "kind": {"flow"}, "enabled": {"true"},
			"step":        {"b", "a", "c"},
			"step.a.type": {"log"}, "step.a.message": {"reserving {{ Qty }}"},
			"step.b.type": {"wait"}, "step.b.duration": {"3s"},
			"step.c.type": {"fail"}, "step.c.probability": {"0.1"}, "step.c.when": {"Qty > 5"}, "step.c.message": {"too many"},
		}
		for i := 0; i+1 < len(extra); i += 2 {
			f.Set(extra[i], extra[i+1])
		}
		return f
	}
	notSaved := func(t *testing.T) {
		t.Helper()
		if code, _, _ := s.call("GET", "/api/v1/apps/Mail/subscriptions/Shop.OrderPlaced", adminToken, ""); code != 404 {
			t.Fatal("an editing button saved the subscription")
		}
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		cards  string
		check  func(t *testing.T, doc *goquery.Document)
	}{
		{name: "move up", form: flow("move", "a up"), status: 200, cards: "log,wait,fail"},
		{name: "move down", form: flow("move", "b down"), status: 200, cards: "log,wait,fail"},
		{name: "move the last down stays", form: flow("move", "c down"), status: 200, cards: "wait,log,fail"},
		{name: "remove", form: flow("remove", "a"), status: 200, cards: "wait,fail"},
		{name: "add a trigger", form: flow("add", "trigger"), status: 200, cards: "wait,log,fail,trigger"},
		{name: "add an unknown type", form: flow("add", "call"), status: 200, cards: "wait,log,fail", check: func(t *testing.T, doc *goquery.Document) {
			if msg := doc.Find(`[data-steps] [data-testid="error-handler.steps"]`).Text(); !strings.Contains(msg, `"call" is not a step type`) {
				t.Fatalf("unknown type error = %q", msg)
			}
		}},
		{name: "a moved card keeps its values", form: flow("move", "c up"), status: 200, cards: "wait,fail,log", check: func(t *testing.T, doc *goquery.Document) {
			card := doc.Find(`[data-testid="step-card"]`).Eq(1)
			if card.Find(`input[name$=".when"]`).AttrOr("value", "") != "Qty > 5" || card.Find(`input[name$=".probability"]`).AttrOr("value", "") != "0.1" {
				t.Fatal("the moved fail card lost its values")
			}
		}},
		{name: "a step type the engine lacks", form: flow("step.a.type", "call"), status: 422, cards: "wait,call,fail", check: func(t *testing.T, doc *goquery.Document) {
			card := doc.Find(`[data-testid="step-card"]`).Eq(1)
			if msg := card.Find(`[data-testid="error-handler.steps[1].type"]`).Text(); !strings.Contains(msg, `"call" is not a step type`) || card.Find(`input:not([type=hidden])`).Length() != 0 {
				t.Fatalf("unknown type card: error %q, %d inputs", msg, card.Find(`input:not([type=hidden])`).Length())
			}
		}},
		{name: "a duration that does not parse", form: flow("step.b.duration", "soon"), status: 422, cards: "wait,log,fail", check: func(t *testing.T, doc *goquery.Document) {
			field := doc.Find(`[data-testid="step-card"]`).Eq(0).Find(`label:has(input[name="step.0.duration"])`)
			if msg := field.Find(`[data-testid="error-handler.steps[0].duration"]`).Text(); !strings.Contains(msg, `"soon" is not a duration`) || field.Find(`input[aria-invalid="true"]`).Length() != 1 {
				t.Fatalf("duration error under its field = %q", msg)
			}
		}},
		{name: "an expression that does not compile", form: flow("step.c.when", "Qty >"), status: 422, cards: "wait,log,fail", check: func(t *testing.T, doc *goquery.Document) {
			field := doc.Find(`[data-testid="step-card"]`).Eq(2).Find(`label:has(input[name="step.2.when"])`)
			if msg := field.Find(`[data-testid="error-handler.steps[2].when"]`).Text(); !strings.Contains(msg, "does not compile") {
				t.Fatalf("when error under the fail card's When = %q", msg)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, doc := c.send("POST", "/apps/Mail/subscriptions/new", tc.form, nil)
			if resp.StatusCode != tc.status || cardTypes(doc) != tc.cards {
				t.Fatalf("= %d cards %q, want %d %q", resp.StatusCode, cardTypes(doc), tc.status, tc.cards)
			}
			if tc.check != nil {
				tc.check(t, doc)
			}
			notSaved(t)
		})
	}

	// A trigger card whose event was just picked shows that event's
	// parameters once "show its parameters" is pressed.
	resp, doc = c.send("POST", "/apps/Stock/subscriptions/Shop.OrderPlaced/edit", url.Values{"event": {"Shop.OrderPlaced"}, "kind": {"flow"},
		"step": {"0"}, "step.0.type": {"trigger"}, "step.0.event": {"Reserved"}, "refresh": {"0"}}, nil)
	if resp.StatusCode != 200 || doc.Find(`[data-step-list] [data-testid="mapping-Sku"] input[name="step.0.param.Sku"]`).Length() != 1 {
		t.Fatalf("refresh = %d; want a Sku mapping row for Reserved", resp.StatusCode)
	}
	// A mapping that does not compile is refused under its own row.
	resp, doc = c.send("POST", "/apps/Stock/subscriptions/Shop.OrderPlaced/edit", url.Values{"event": {"Shop.OrderPlaced"}, "kind": {"flow"},
		"step": {"0"}, "step.0.type": {"trigger"}, "step.0.event": {"Reserved"}, "step.0.param.Sku": {"Sku +"}}, nil)
	if msg := doc.Find(`[data-testid="mapping-Sku"] [data-testid="error-handler.steps[0].parameters.Sku"]`).Text(); resp.StatusCode != 422 || !strings.Contains(msg, "does not compile") {
		t.Fatalf("bad mapping = %d, error under its row %q", resp.StatusCode, msg)
	}

	resp, _ = c.send("POST", "/apps/Mail/subscriptions/new", flow(), nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("plain save = %d, want 303", resp.StatusCode)
	}
	steps := storedSteps(t, s, "Mail", "Shop.OrderPlaced")
	if stepTypesOf(steps) != "wait,log,fail" || steps[0]["duration"] != "3s" || steps[2]["when"] != "Qty > 5" || steps[2]["probability"] != 0.1 {
		t.Fatalf("saved steps = %v", steps)
	}
}
