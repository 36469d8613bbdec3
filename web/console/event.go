package console

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/templates"
	"github.com/eventloom/eventloom/web/httperr"
	"github.com/eventloom/eventloom/web/request"
)

func (s *Console) eventProps(c echo.Context, ev design.Event) (templates.EventProps, error) {
	lim := s.eng.Config().Limits
	p := templates.EventProps{Event: ev, Form: map[string]string{}, MaxTextLength: lim.MaxTextLength, MaxPayloadBytes: lim.MaxPayloadBytes}
	for _, sub := range s.eng.Design().Subscriptions {
		if sub.Event == ev.Ref() {
			p.Subscribers = append(p.Subscribers, sub)
		}
	}
	var err error
	p.Recent, err = s.eng.Occurrences(c.Request().Context(), engine.OccurrenceFilter{Event: ev.Ref(), Limit: 10})
	return p, err
}

func (s *Console) eventPage(c echo.Context) error {
	ev, err := s.eng.Event(request.EventRef(c))
	if err != nil {
		return err
	}
	p, err := s.eventProps(c, ev)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, templates.EventPage(s.page(c, ev.Ref().String(), "apps"), p), nil)
}

// eventTrigger triggers from the test form: every field error shows next
// to its field and nothing is stored; success links to the trace.
func (s *Console) eventTrigger(c echo.Context) error {
	ev, err := s.eng.Event(request.EventRef(c))
	if err != nil {
		return err
	}
	if err := c.Request().ParseForm(); err != nil {
		return &httperr.BadRequest{Code: "malformed_form", Message: "the form could not be read"}
	}
	form := map[string]string{}
	for _, prm := range ev.Parameters {
		if vs, ok := c.Request().PostForm[prm.Name]; ok && len(vs) > 0 {
			form[prm.Name] = vs[len(vs)-1]
		} else if prm.Type == design.Boolean {
			form[prm.Name] = "false" // an unchecked box sends nothing
		}
	}
	p, err := s.eventProps(c, ev)
	if err != nil {
		return err
	}
	p.Form = form
	p.Zone = c.Request().PostForm.Get(templates.ZoneField)
	loc, zerr := zoneOf(p.Zone)
	if zerr != nil {
		p.FormError = "Nothing was triggered: " + zerr.Error() + "."
		return s.render(c, http.StatusUnprocessableEntity, templates.EventPage(s.page(c, ev.Ref().String(), "apps"), p), templates.TriggerForm(p))
	}
	req := engine.TriggerRequest{Event: ev.Ref(), Form: formInZone(ev, form, loc)}
	if c.Request().PostForm.Get("dryRun") == "true" {
		dry, err := s.eng.TriggerDryRun(c.Request().Context(), req)
		if err != nil {
			return s.triggerRefused(c, ev, p, err)
		}
		p.DryRun = dryRunView(dry)
		return s.render(c, http.StatusOK, templates.EventPage(s.page(c, ev.Ref().String(), "apps"), p), templates.TriggerForm(p))
	}
	res, err := s.eng.Trigger(c.Request().Context(), req)
	if err != nil {
		return s.triggerRefused(c, ev, p, err)
	}
	p.Triggered = &templates.TriggeredResult{OccurrenceID: res.OccurrenceID, TraceID: res.TraceID, Deliveries: res.Deliveries}
	if p.Recent, err = s.eng.Occurrences(c.Request().Context(), engine.OccurrenceFilter{Event: ev.Ref(), Limit: 10}); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, templates.EventPage(s.page(c, ev.Ref().String(), "apps"), p), templates.TriggerResponse(p))
}

// triggerRefused shows a refused trigger (or dry run) on its form, each
// error next to its field; an error that is no refusal is returned.
func (s *Console) triggerRefused(c echo.Context, ev design.Event, p templates.EventProps, err error) error {
	all := fault.All(err)
	if len(all) == 0 {
		return err
	}
	names := make([]string, 0, len(ev.Parameters))
	for _, prm := range ev.Parameters {
		names = append(names, prm.Name)
	}
	p.Errors = fieldErrors(err, names...)
	p.FormError = p.Errors[""]
	if p.FormError == "" && len(p.Errors) > 0 {
		p.FormError = "Nothing was triggered: fix the fields marked below."
	}
	return s.render(c, httperr.Classify(err).Status, templates.EventPage(s.page(c, ev.Ref().String(), "apps"), p), templates.TriggerResponse(p))
}

// eventDelete deletes an event; while other apps handle it the refusal
// names them, until the form confirms (confirm=breaking).
func (s *Console) eventDelete(c echo.Context) error {
	ref := request.EventRef(c)
	if err := s.eng.DeleteEvent(formConfirmed(c), ref, false); err != nil {
		return err
	}
	return back(c, "/apps/"+url.PathEscape(ref.App), "Deleted "+ref.String()+".")
}
