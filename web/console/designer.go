package console

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/templates"
	"github.com/eventloom/eventloom/web/canvas"
	"github.com/eventloom/eventloom/web/request"
)

// designerData is everything the canvas draws, in one document.
type designerData struct {
	Apps          []designerApp    `json:"apps"`
	Events        []designerEvent  `json:"events"`
	Subscriptions []designerSub    `json:"subscriptions"`
	Positions     canvas.Layout    `json:"positions"`
	Lints         []engine.Finding `json:"lints"`
	// Flows maps "App:Producer.Event" to the events that subscription's
	// flow triggers ("App.Event"), so highlighting can follow a chain.
	Flows map[string][]string `json:"flows"`
	// Backlog is what waits on each subscription now ("App:Producer.Event"
	// to its retrying and dead deliveries), so the canvas shows the
	// runtime's state from the first frame, not only what the websocket
	// reports after the page opened.
	Backlog map[design.SubscriptionRef]engine.Backlog `json:"backlog"`
}

type designerApp struct {
	Name  string `json:"name"`
	Color string `json:"color"`
	// Failures is the app's endpoint's failed webhook attempts in a row.
	Failures int `json:"failures,omitempty"`
}

type designerEvent struct {
	App    string `json:"app"`
	Name   string `json:"name"`
	Public bool   `json:"public"`
}

type designerSub struct {
	App    string `json:"app"`
	Event  string `json:"event"`
	Kind   string `json:"kind"`
	Paused bool   `json:"paused"`
	// Filter is the subscription's filter, drawn on its arrow.
	Filter string `json:"filter,omitempty"`
	// ref is the subscription's key (flowKey), kept from the design
	// rather than parsed back out of Event.
	ref design.SubscriptionRef
}

// designerData gathers what the canvas draws from the engine's current
// design, saved layout and lints.
func (s *Console) designerData(c echo.Context) (designerData, error) {
	pos, err := canvas.Load(c.Request().Context(), s.eng)
	if err != nil {
		return designerData{}, err
	}
	backlog, err := s.eng.SubscriptionBacklogs(c.Request().Context())
	if err != nil {
		return designerData{}, err
	}
	doc := s.canvasDocOf(s.eng.Design())
	return designerData{Positions: pos, Lints: request.NonNil(s.eng.Lint()), Flows: doc.Flows, Backlog: backlog,
		Apps: doc.Apps, Events: doc.Events, Subscriptions: doc.Subscriptions}, nil
}

func (s *Console) designerPage(c echo.Context) error {
	data, err := s.designerData(c)
	if err != nil {
		return err
	}
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	props := templates.DesignerProps{DataJSON: string(b)}
	for _, l := range data.Lints {
		props.Lints = append(props.Lints, templates.LintRow{Code: l.Code, Subject: l.Subject, Message: l.Message})
	}
	return s.render(c, http.StatusOK, templates.Designer(s.page(c, "Designer", "designer"), props), nil)
}

// designerDataJSON is the canvas's document again, for redrawing after an
// edit made in the side panel without reloading the page.
func (s *Console) designerDataJSON(c echo.Context) error {
	data, err := s.designerData(c)
	if err != nil {
		return s.writeError(c, err)
	}
	return c.JSON(http.StatusOK, data)
}

// designerBacklog answers the backlog alone ({"backlog":{...}}), which the
// canvas reloads when a delivery fails, dies or is replayed.
func (s *Console) designerBacklog(c echo.Context) error {
	b, err := s.eng.SubscriptionBacklogs(c.Request().Context())
	if err != nil {
		return s.writeError(c, err)
	}
	return c.JSON(http.StatusOK, map[string]any{"backlog": b})
}
