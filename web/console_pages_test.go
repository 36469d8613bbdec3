package web_test

import (
	"context"
	"errors"
	"github.com/eventloom/eventloom/web"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/notify"
)

// pagesServer is a server with the shop design, and a console client
// signed in to it.
func pagesServer(t *testing.T, cfg engine.Config, design string) (*apiServer, *consoleClient) {
	t.Helper()
	s := newAPIServer(t, cfg)
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, design); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	c := newConsoleClient(t, s.url, http.DefaultClient)
	c.signIn()
	return s, c
}

// TestConsoleTriggerAnswersWithCountAndRecent: the trigger form's htmx
// answer counts deliveries in the right number and carries the recent
// occurrences (out of band) with the new one.
func TestConsoleTriggerAnswersWithCountAndRecent(t *testing.T) {
	_, c := pagesServer(t, engine.Config{}, shopDesign)
	htmx := map[string]string{"HX-Request": "true"}
	resp, doc := c.send("POST", "/apps/Shop/events/OrderPlaced/trigger", url.Values{"Sku": {"A-1"}, "Qty": {"2"}}, htmx)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("trigger = %d", resp.StatusCode)
	}
	got := strings.Join(strings.Fields(doc.Find(`[data-testid="triggered"]`).Text()), " ")
	if !strings.Contains(got, "with 1 delivery.") || strings.Contains(got, "deliveries") {
		t.Fatalf("triggered = %q; want %q", got, "with 1 delivery.")
	}
	recent := doc.Find(`#recent-occurrences[hx-swap-oob="true"] [data-testid="recent"] tbody tr`)
	if recent.Length() != 1 {
		t.Fatalf("the answer carries %d recent occurrences out of band, want the new one", recent.Length())
	}
	if form := doc.Find(`[data-testid="trigger-form"]`); form.AttrOr("data-accepted", "no") == "no" {
		t.Fatal("the accepted form is not marked accepted (app.js remembers only such payloads)")
	}

	// A refused payload: no recent list, nothing marked accepted.
	resp, doc = c.send("POST", "/apps/Shop/events/OrderPlaced/trigger", url.Values{"Sku": {"A-1"}, "Qty": {"x"}}, htmx)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("refused trigger = %d, want 422", resp.StatusCode)
	}
	if doc.Find(`#recent-occurrences`).Length() != 0 || doc.Find(`[data-testid="trigger-form"][data-accepted]`).Length() != 0 {
		t.Fatal("a refused trigger answers with recent occurrences or an accepted form")
	}

	// No subscriber: said in words, not "0 deliveries".
	_, doc = c.send("POST", "/apps/Shop/events/Audit/trigger", url.Values{}, htmx)
	if got := doc.Find(`[data-testid="triggered"]`).Text(); !strings.Contains(got, "no delivery") {
		t.Fatalf("triggered without subscribers = %q", got)
	}
	// The full page lists the occurrence with the count-free table.
	_, doc = c.send("GET", "/apps/Shop/events/OrderPlaced", nil, nil)
	if n := doc.Find(`[data-testid="recent"] tbody tr`).Length(); n != 1 {
		t.Fatalf("event page lists %d recent occurrences, want 1", n)
	}
}

// TestConsoleHistoryDeliveriesShowEventTimeAndTrace: the deliveries view
// names the event each delivery carries, when, and links its trace.
func TestConsoleHistoryDeliveriesShowEventTimeAndTrace(t *testing.T) {
	s, c := pagesServer(t, engine.Config{}, shopDesign)
	if code, body, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{"Sku":"A-1","Qty":2}`); code != 202 {
		t.Fatalf("trigger = %d %v", code, body)
	}
	// Mail handles Stock.Reserved, which Stock's flow triggers.
	for n := waitNote(t, s, notify.DeliverySucceeded); n.App != "Mail"; n = waitNote(t, s, notify.DeliverySucceeded) {
	}
	_, doc := c.send("GET", "/history?view=deliveries", nil, nil)
	rows := doc.Find(`[data-testid="history-deliveries"] tbody tr`)
	if rows.Length() != 2 {
		t.Fatalf("%d deliveries listed, want 2", rows.Length())
	}
	events := map[string]bool{}
	traces := map[string]bool{}
	for i := range rows.Length() {
		r := rows.Eq(i)
		events[strings.TrimSpace(r.Find(`[data-testid="delivery-event"]`).Text())] = true
		if when := strings.TrimSpace(r.Find(`[data-testid="delivery-when"]`).Text()); len(when) != len("2026-11-26 12:00:00") {
			t.Fatalf("delivery time %q", when)
		}
		traces[r.Find(`[data-testid="delivery-trace"] a`).AttrOr("href", "")] = true
	}
	if !events["Shop.OrderPlaced"] || !events["Stock.Reserved"] {
		t.Fatalf("events listed = %v; want Shop.OrderPlaced and Stock.Reserved", events)
	}
	if len(traces) != 2 {
		t.Fatalf("trace links = %v", traces)
	}
	for href := range traces {
		if !strings.HasPrefix(href, "/traces/") {
			t.Fatalf("trace link %q", href)
		}
		if resp, _ := c.send("GET", strings.Split(href, "#")[0], nil, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d", href, resp.StatusCode)
		}
	}
}

// TestConsoleDeadLetterShowsEventAndPayload: a dead letter names its
// event and shows the payload it carries; "1 attempt" in the singular.
func TestConsoleDeadLetterShowsEventAndPayload(t *testing.T) {
	fail := func(context.Context, *engine.Delivery) ([]engine.Trigger, error) {
		return nil, errors.New("the ledger was offline")
	}
	s, c := pagesServer(t, engine.Config{MaxRetries: -1, Handlers: map[string]engine.Handler{"ledger": fail}}, ledgerDesign)
	if code, body, _ := s.call("POST", "/api/v1/apps/Shop/events/Paid/trigger", adminToken, `{"OrderId":"ord-77","Amount":12.5}`); code != 202 {
		t.Fatalf("trigger = %d %v", code, body)
	}
	dead := waitNote(t, s, notify.DeliveryDead)
	_, doc := c.send("GET", "/dead", nil, nil)
	card := doc.Find(`[data-testid="dead-` + jsonNum(dead.DeliveryID) + `"]`)
	if got := card.Find(`[data-testid="dead-event"]`).Text(); got != "Shop.Paid" {
		t.Fatalf("dead letter event = %q, want Shop.Paid", got)
	}
	if got := card.Find(`[data-testid="dead-payload"]`).Text(); !strings.Contains(got, `"OrderId":"ord-77"`) || !strings.Contains(got, `"Amount":12.5`) {
		t.Fatalf("dead letter payload = %q", got)
	}
	if got := card.Text(); !strings.Contains(got, "after 1 attempt") || strings.Contains(got, "1 attempts") {
		t.Fatalf("dead letter = %q; want %q", got, "after 1 attempt")
	}

	// Replaying in bulk says how many in the right number and follows it.
	resp, _ := c.send("POST", "/dead/bulk", url.Values{"op": {"replay"}, "id": {jsonNum(dead.DeliveryID)}}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dead?replayed="+jsonNum(dead.DeliveryID) {
		t.Fatalf("bulk replay = %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, doc = c.send("GET", resp.Header.Get("Location"), nil, nil)
	if got := doc.Find(`[data-testid="flash"]`).Text(); !strings.Contains(got, "1 delivery replayed.") {
		t.Fatalf("flash = %q", got)
	}
	if doc.Find(`[data-testid="replayed-`+jsonNum(dead.DeliveryID)+`"]`).Length() != 1 {
		t.Fatal("the replayed delivery is not followed on the page")
	}
	// A bad list is refused with how to write one.
	resp, doc = c.send("GET", "/dead?replayed=7,x", nil, nil)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc.Find(`[data-testid="flash"]`).Text(), "such as 12,13") {
		t.Fatalf("bad replayed list = %d %q", resp.StatusCode, doc.Find(`[data-testid="flash"]`).Text())
	}
}

const ledgerDesign = `{
 "apps":[{"name":"Shop"},{"name":"Ledger"}],
 "events":[{"app":"Shop","name":"Paid","public":true,"parameters":[
   {"name":"OrderId","type":"Identifier","mandatory":true},{"name":"Amount","type":"Decimal","mandatory":true},
   {"name":"At","type":"DateTime"}]}],
 "subscriptions":[{"app":"Ledger","event":"Shop.Paid","enabled":true,"handler":{"kind":"go","name":"ledger"}}]}`

// TestConsoleDateTimeInputsNameTheirZone: the trigger form and the history
// filter say which zone their date-time inputs are in, and the server
// reads them in the zone the browser sent; an unknown zone is refused
// with how to fix it.
func TestConsoleDateTimeInputsNameTheirZone(t *testing.T) {
	ok := func(context.Context, *engine.Delivery) ([]engine.Trigger, error) { return nil, nil }
	s, c := pagesServer(t, engine.Config{Handlers: map[string]engine.Handler{"ledger": ok}}, ledgerDesign)
	_, doc := c.send("GET", "/apps/Shop/events/Paid", nil, nil)
	if got := doc.Find(`[data-testid="zone-At"]`).Text(); got != "UTC" {
		t.Fatalf("DateTime hint names zone %q, want UTC (app.js replaces it with the browser's)", got)
	}
	if doc.Find(`[data-testid="trigger-form"] input[name="_tz"][data-zone-input]`).Length() != 1 {
		t.Fatal("the trigger form sends no zone")
	}
	resp, _ := c.send("POST", "/apps/Shop/events/Paid/trigger", url.Values{"OrderId": {"o1"}, "Amount": {"1"}, "At": {"2026-07-01T10:00"}, "_tz": {"Europe/Paris"}}, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("trigger in Europe/Paris = %d", resp.StatusCode)
	}
	_, body, _ := s.call("GET", "/api/v1/occurrences?event=Shop.Paid", adminToken, "")
	items := body["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("%d occurrences, want 1", len(items))
	}
	params := items[0].(map[string]any)["parameters"].(map[string]any)
	if params["At"] != "2026-07-01T08:00:00Z" {
		t.Fatalf("10:00 in Paris stored as %v, want 2026-07-01T08:00:00Z", params["At"])
	}
	resp, doc = c.send("POST", "/apps/Shop/events/Paid/trigger", url.Values{"OrderId": {"o2"}, "Amount": {"1"}, "At": {"2026-07-01T10:00"}, "_tz": {"Mars/Olympus"}}, nil)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc.Find(`[data-testid="form-error"]`).Text(), "Europe/Paris") {
		t.Fatalf("unknown zone = %d %q", resp.StatusCode, doc.Find(`[data-testid="form-error"]`).Text())
	}

	// History: the same local time read in a zone one hour ahead of the
	// occurrence's creation decides whether it is listed.
	_, doc = c.send("GET", "/history", nil, nil)
	if got := doc.Find(`[data-testid="zone-since"]`).Text(); got != "UTC" {
		t.Fatalf("history since hint names zone %q", got)
	}
	created := items[0].(map[string]any)["createdAt"].(string)
	local := created[:16] // 2026-11-26T12:34 in UTC
	listed := func(zone string) int {
		t.Helper()
		q := url.Values{"until": {local}, "_tz": {zone}}
		resp, doc := c.send("GET", "/history?"+q.Encode(), nil, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("history until %s in %s = %d", local, zone, resp.StatusCode)
		}
		return doc.Find(`[data-testid="history-occurrences"] tbody tr`).Length()
	}
	// Until the minute it was created, read in UTC, ends before it (the
	// seconds are cut); read in a zone behind UTC it ends hours later.
	if n := listed("UTC"); n != 0 {
		t.Fatalf("until %s UTC lists %d, want 0", local, n)
	}
	if n := listed("America/New_York"); n != 1 {
		t.Fatalf("until %s in New York lists %d, want 1", local, n)
	}
	resp, doc = c.send("GET", "/history?_tz=Nowhere/Land&since=2026-01-01T00:00", nil, nil)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc.Find(`[data-testid="error-_tz"]`).Text(), "IANA zone") {
		t.Fatalf("history with an unknown zone = %d %q", resp.StatusCode, doc.Find(`[data-testid="error-_tz"]`).Text())
	}
}

// TestAPIOccurrenceAttemptsCarryTheLog: the REST occurrence lists each
// attempt's flow log under "log".
func TestAPIOccurrenceAttemptsCarryTheLog(t *testing.T) {
	s, _ := pagesServer(t, engine.Config{}, shopDesign)
	code, body, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{"Sku":"A-1","Qty":2}`)
	if code != 202 {
		t.Fatalf("trigger = %d %v", code, body)
	}
	waitNote(t, s, notify.DeliverySucceeded)
	_, body, _ = s.call("GET", "/api/v1/occurrences/"+jsonNum(int64(body["occurrenceId"].(float64))), adminToken, "")
	ds := body["deliveries"].([]any)
	attempts := ds[0].(map[string]any)["attemptList"].([]any)
	log, _ := attempts[0].(map[string]any)["log"].([]any)
	if len(log) != 1 || log[0] != "reserving 2 of A-1" {
		t.Fatalf("attempt log = %v; want [reserving 2 of A-1]", log)
	}
}

// TestConsoleTracePages: a trace larger than one page is read a page at a
// time, oldest first; an occurrence whose parent delivery is on an earlier
// page starts its page's tree and says so, and a bad cursor is refused.
func TestConsoleTracePages(t *testing.T) {
	const items = web.TracePageSize + 20
	fan := func(context.Context, *engine.Delivery) ([]engine.Trigger, error) {
		out := make([]engine.Trigger, items)
		for i := range out {
			out[i] = engine.Trigger{Event: "Item", Values: map[string]any{"N": i}}
		}
		return out, nil
	}
	s, c := pagesServer(t, engine.Config{Handlers: map[string]engine.Handler{"fan": fan}}, `{
 "apps":[{"name":"Shop"}],
 "events":[{"app":"Shop","name":"OrderPlaced"},{"app":"Shop","name":"Item","parameters":[{"name":"N","type":"Integer","mandatory":true}]}],
 "subscriptions":[{"app":"Shop","event":"Shop.OrderPlaced","enabled":true,"handler":{"kind":"go","name":"fan"}}]}`)
	_, body, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{}`)
	trace := jsonNum(int64(body["traceId"].(float64)))
	waitNote(t, s, notify.DeliverySucceeded)

	_, first := c.send("GET", "/traces/"+trace, nil, nil)
	if n := first.Find(`[data-testid^="occurrence-"]`).Length(); n != web.TracePageSize {
		t.Fatalf("the first page shows %d occurrences, want %d", n, web.TracePageSize)
	}
	if first.Find(`[data-testid="parent-off-page"]`).Length() != 0 {
		t.Fatal("the first page says a parent is on an earlier page")
	}
	next, ok := first.Find(`[data-testid="trace-next"]`).First().Attr("href")
	if !ok {
		t.Fatal("the first page has no link to the next")
	}
	resp, second := c.send("GET", next, nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", next, resp.StatusCode)
	}
	if n := second.Find(`[data-testid^="occurrence-"]`).Length(); n != items+1-web.TracePageSize {
		t.Fatalf("the second page shows %d occurrences, want %d", n, items+1-web.TracePageSize)
	}
	if n := second.Find(`[data-testid="parent-off-page"]`).Length(); n != items+1-web.TracePageSize {
		t.Fatalf("%d occurrences of the second page say their parent is on an earlier page, want all", n)
	}
	if second.Find(`[data-testid="trace-next"]`).Length() != 0 || second.Find(`[data-testid="trace-first"]`).Length() == 0 {
		t.Fatal("the last page links onward, or not back to the root")
	}
	// The last occurrence's own link opens the page it is on.
	last := second.Find(`[data-testid^="occurrence-"]`).Last().AttrOr("id", "")
	resp, _ = c.send("GET", "/occurrences/"+strings.TrimPrefix(last, "occ-"), nil, nil)
	to := strings.Split(resp.Header.Get("Location"), "#")[0]
	if resp, onPage := c.send("GET", to, nil, nil); resp.StatusCode != http.StatusOK || onPage.Find("#"+last).Length() != 1 {
		t.Fatalf("GET /occurrences/%s led to %s = %d without #%s on the page", strings.TrimPrefix(last, "occ-"), to, resp.StatusCode, last)
	}
	if resp, _ := c.send("GET", "/traces/"+trace+"?after=soon", nil, nil); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("after=soon = %d, want 400", resp.StatusCode)
	}
}
