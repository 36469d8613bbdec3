package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/web/canvas"
	"github.com/eventloom/eventloom/web/request"
)

// designChangedEvent names the DOM event a panel answer's HX-Trigger
// header fires; static/src/panel.js applies its detail to the canvas.
const designChangedEvent = "eventloom:design-changed"

// panelEditKey is the echo context key of a side panel post's *panelEdit.
const panelEditKey = "eventloom.panelEdit"

// panelFlashKey is the echo context key of the flash message a panel
// answer shows at once, in place of the cookie a redirect would carry.
const panelFlashKey = "eventloom.panelFlash"

// isPanelRequest reports whether htmx sent the request from the
// designer's side panel (its target is the panel's body).
func isPanelRequest(c echo.Context) bool {
	return request.IsHTMX(c) && strings.HasSuffix(c.Request().Header.Get("HX-Target"), "#side-body")
}

// panelEdit is what a post from the side panel remembers of the design
// before its handler ran, so that its answer can say what changed.
type panelEdit struct {
	s      *Console
	before canvasDoc
	lints  []engine.Finding
}

// panelEdits lets a post sent from the designer's side panel be answered
// in one response: back, instead of redirecting, renders the page it
// would have redirected to and adds an HX-Trigger header carrying what
// the post changed on the canvas (see panelEdit.answer).
func (s *Console) panelEdits(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().Method == http.MethodPost && isPanelRequest(c) {
			c.Set(panelEditKey, &panelEdit{s: s, before: s.canvasDocOf(s.eng.Design()), lints: request.NonNil(s.eng.Lint())})
		}
		return next(c)
	}
}

// panelEditOf returns the request's panelEdit, nil unless the request is
// a post from the side panel that has not been answered yet.
func panelEditOf(c echo.Context) *panelEdit {
	pe, _ := c.Get(panelEditKey).(*panelEdit)
	return pe
}

// designChange is the detail of the designChangedEvent: the canvas's
// node and edge ids ("app:Shop", "event:Shop.OrderPlaced",
// "sub:Stock:Shop.OrderPlaced") the post added, removed or changed, with
// what the canvas draws of each added or changed one.
type designChange struct {
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
	Changed []string `json:"changed"`
	// Apps, Events and Subscriptions are the added and changed ones, in
	// the shape of GET /designer/data.
	Apps          []designerApp   `json:"apps"`
	Events        []designerEvent `json:"events"`
	Subscriptions []designerSub   `json:"subscriptions"`
	// Flows holds the triggered events of the added and changed
	// subscriptions' flows, by "App:Producer.Event".
	Flows map[string][]string `json:"flows"`
	// Lints is the design's whole list of lints when it changed, absent
	// otherwise.
	Lints *[]engine.Finding `json:"lints,omitempty"`
	// Positions are the saved positions of added nodes that have one.
	Positions canvas.Layout `json:"positions"`
	// Page is the console page the panel now shows.
	Page string `json:"page"`
}

func (d designChange) empty() bool {
	return len(d.Added)+len(d.Removed)+len(d.Changed) == 0 && d.Lints == nil
}

// canvasDoc is what the canvas draws of a design, in the design's order.
type canvasDoc struct {
	Apps          []designerApp
	Events        []designerEvent
	Subscriptions []designerSub
	Flows         map[string][]string
}

// canvasDocOf lists the apps, events and subscriptions of d as the
// canvas draws them, with the events each subscription's flow triggers.
func (s *Console) canvasDocOf(d design.Design) canvasDoc {
	doc := canvasDoc{Apps: []designerApp{}, Events: []designerEvent{}, Subscriptions: []designerSub{}, Flows: map[string][]string{}}
	for _, a := range d.Apps {
		doc.Apps = append(doc.Apps, designerApp{Name: a.Name, Color: a.Color, Failures: s.eng.EndpointFailures(a.Name)})
	}
	for _, ev := range d.Events {
		doc.Events = append(doc.Events, designerEvent{App: ev.App, Name: ev.Name, Public: ev.Public})
	}
	for _, sub := range d.Subscriptions {
		doc.Subscriptions = append(doc.Subscriptions, designerSub{App: sub.App, Event: sub.Event.String(), Kind: string(sub.Handler.Kind), Paused: sub.Paused, Filter: sub.Filter, ref: sub.Ref()})
		for _, st := range sub.Handler.Steps {
			if st.Type == design.StepTrigger {
				key := sub.Ref().String()
				doc.Flows[key] = append(doc.Flows[key], design.EventRef{App: sub.App, Event: st.Event}.String())
			}
		}
	}
	return doc
}

// flowKey is a subscription's key in designerData.Flows and Backlog, its
// design.SubscriptionRef.
func flowKey(sub designerSub) string { return sub.ref.String() }

// The canvas's element ids, as static/src/designer.js builds them.
func appNodeID(name string) string        { return "app:" + name }
func eventNodeID(ev designerEvent) string { return "event:" + ev.App + "." + ev.Name }
func subEdgeID(sub designerSub) string    { return "sub:" + flowKey(sub) }

// canvasDiff compares two canvas documents: ids in after only are added,
// in before only removed, in both but drawn differently changed.
func canvasDiff(before, after canvasDoc) designChange {
	ch := designChange{Added: []string{}, Removed: []string{}, Changed: []string{}, Apps: []designerApp{}, Events: []designerEvent{}, Subscriptions: []designerSub{}, Flows: map[string][]string{}, Positions: canvas.Layout{}}
	// compare walks one kind of element; same says whether the element
	// with that id is drawn the same in both documents.
	compare := func(beforeIDs, afterIDs []string, same func(b, a int) bool, keep func(a int)) {
		was := make(map[string]int, len(beforeIDs))
		for i, id := range beforeIDs {
			was[id] = i
		}
		now := make(map[string]bool, len(afterIDs))
		for i, id := range afterIDs {
			now[id] = true
			b, ok := was[id]
			switch {
			case !ok:
				ch.Added = append(ch.Added, id)
				keep(i)
			case !same(b, i):
				ch.Changed = append(ch.Changed, id)
				keep(i)
			}
		}
		for _, id := range beforeIDs {
			if !now[id] {
				ch.Removed = append(ch.Removed, id)
			}
		}
	}
	compare(ids(before.Apps, func(a designerApp) string { return appNodeID(a.Name) }), ids(after.Apps, func(a designerApp) string { return appNodeID(a.Name) }),
		func(b, a int) bool { return before.Apps[b] == after.Apps[a] },
		func(a int) { ch.Apps = append(ch.Apps, after.Apps[a]) })
	compare(ids(before.Events, eventNodeID), ids(after.Events, eventNodeID),
		func(b, a int) bool { return before.Events[b] == after.Events[a] },
		func(a int) { ch.Events = append(ch.Events, after.Events[a]) })
	compare(ids(before.Subscriptions, subEdgeID), ids(after.Subscriptions, subEdgeID),
		func(b, a int) bool {
			sb, sa := before.Subscriptions[b], after.Subscriptions[a]
			return sb == sa && reflect.DeepEqual(before.Flows[flowKey(sb)], after.Flows[flowKey(sa)])
		},
		func(a int) {
			sub := after.Subscriptions[a]
			ch.Subscriptions = append(ch.Subscriptions, sub)
			if f := after.Flows[flowKey(sub)]; f != nil {
				ch.Flows[flowKey(sub)] = f
			}
		})
	return ch
}

func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, x := range items {
		out[i] = id(x)
	}
	return out
}

// answer replaces back's redirect for a post from the side panel: it
// sets the HX-Trigger header to what the post changed on the canvas and
// renders the page the redirect would have led to (its GET handler, with
// the flash shown at once), so the save costs one request and the canvas
// needs no reload of the design.
func (pe *panelEdit) answer(c echo.Context, to, flash string) error {
	c.Set(panelEditKey, nil) // answered: the page rendered below is no post
	s := pe.s
	ch := canvasDiff(pe.before, s.canvasDocOf(s.eng.Design()))
	if lints := request.NonNil(s.eng.Lint()); !reflect.DeepEqual(lints, pe.lints) {
		ch.Lints = &lints
	}
	if len(ch.Added) > 0 {
		saved, err := canvas.Load(c.Request().Context(), s.eng)
		if err != nil {
			return err
		}
		for _, id := range ch.Added {
			if p, ok := saved[id]; ok {
				ch.Positions[id] = p
			}
		}
	}
	ch.Page = to
	trigger, err := asciiJSON(map[string]designChange{designChangedEvent: ch})
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("HX-Trigger", trigger)
	h.Set("Content-Location", to) // the panel's "open as a page" link follows it

	u, err := url.Parse(to)
	if err != nil {
		return err
	}
	req := c.Request().Clone(c.Request().Context())
	req.Method, req.URL, req.RequestURI = http.MethodGet, u, to
	req.Body, req.ContentLength, req.Form, req.PostForm = http.NoBody, 0, nil, nil
	c.SetRequest(req)
	c.Echo().Router().Find(http.MethodGet, echo.GetPath(req), c)
	// The page is shown with the rights of the one who posted: a route
	// their role may not read (or none at all) gets the redirect instead.
	if !s.mayGet(c) {
		h.Del("Content-Location")
		return c.Redirect(http.StatusSeeOther, to)
	}
	c.Set(panelFlashKey, flash)
	return c.Handler()(c)
}

// asciiJSON marshals v with every non-ASCII character escaped, as a
// header value must be: browsers read header bytes as Latin-1.
func asciiJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	for _, r := range string(b) {
		switch {
		case r < utf8.RuneSelf:
			sb.WriteRune(r)
		case r > 0xFFFF:
			r1, r2 := utf16.EncodeRune(r)
			sb.WriteString(uEscape(r1) + uEscape(r2))
		default:
			sb.WriteString(uEscape(r))
		}
	}
	return sb.String(), nil
}

func uEscape(r rune) string {
	const hex = "0123456789abcdef"
	return `\u` + string([]byte{hex[r>>12&0xF], hex[r>>8&0xF], hex[r>>4&0xF], hex[r&0xF]})
}
