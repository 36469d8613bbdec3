package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/web/httperr"
	"github.com/eventloom/eventloom/web/request"
)

// The pull API: external workers receive the deliveries of a pull
// subscription with the handling app's key (or the admin token) and
// acknowledge, release, reject or extend each by its lock token.
//
// Lock operations answer token by token: {"succeeded":[...],"failed":
// [{"lockToken","code","message"}]}. The status is 200 whenever at least
// one token succeeded, so a worker reads the body for the rest. When none
// did, it is 409 if every failure is a lost lock (code lock_lost: an
// earlier attempt's token, an expired or finished lock) and 400 otherwise
// (a token this server did not issue, or one of another subscription);
// the body then also carries the usual error and details.

// pullRoutes adds the pull API to api; each route takes an app key (of
// the handling app, checked by pullTarget) or the admin token.
func (s *API) pullRoutes(api *echo.Group) {
	const sub = "/apps/:app/subscriptions/:ref/"
	api.POST(sub+"receive", s.pullReceive)
	api.POST(sub+"ack", s.pullAck)
	api.POST(sub+"release", s.pullRelease)
	api.POST(sub+"reject", s.pullReject)
	api.POST(sub+"extend", s.pullExtend)
}

// defaultPullMax is how many deliveries a receive without max asks for.
const defaultPullMax = 10

// pullTarget names the subscription of the route and refuses a key of
// another app than the handling one.
func pullTarget(c echo.Context) (string, design.EventRef, error) {
	app := c.Param("app")
	ref, err := request.SubscriptionRef(c)
	if err != nil {
		return app, ref, err
	}
	if caller := request.Caller(c.Request().Context()); caller != "" && caller != app {
		return app, ref, &fault.Error{Kind: fault.ErrForbidden, Code: "wrong_app", Message: fmt.Sprintf(
			"this key belongs to app %s; the deliveries %s handles are received with a key of %s (or the admin token)", caller, app, app)}
	}
	return app, ref, nil
}

// intQuery reads a whole-number query parameter in [lo, hi], def when
// absent; anything else is a 400 naming the field and the range.
func intQuery(c echo.Context, name string, def, lo, hi int, unit string) (int, error) {
	v := c.QueryParam(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, &httperr.BadRequest{Code: "out_of_range", Field: name, Message: fmt.Sprintf("%s must be a whole number of %s from %d to %d; got %s", name, unit, lo, hi, strconv.Quote(v))}
	}
	return n, nil
}

func (s *API) pullReceive(c echo.Context) error {
	app, ref, err := pullTarget(c)
	if err != nil {
		return err
	}
	max, err := intQuery(c, "max", defaultPullMax, 1, engine.MaxPullBatch, "deliveries")
	if err != nil {
		return err
	}
	wait, err := intQuery(c, "wait", 0, 0, int(engine.MaxPullWait/time.Second), "seconds")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	got, err := s.eng.Receive(ctx, app, ref, max, time.Duration(wait)*time.Second)
	if err != nil && ctx.Err() != nil {
		// The worker hung up while waiting (it is shutting down): there
		// is nobody to answer, and nothing went wrong.
		return nil
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, got)
}

// lockBody is the body of ack, release, reject and extend; each reads the
// fields it needs and refuses the others.
type lockBody struct {
	LockTokens   []string `json:"lockTokens"`
	DelaySeconds *int64   `json:"delaySeconds,omitempty"`
	Reason       string   `json:"reason,omitempty"`
	Seconds      *int64   `json:"seconds,omitempty"`
}

func (s *API) pullAck(c echo.Context) error {
	return s.pullLocks(c, func(app string, ref design.EventRef, b *lockBody) (engine.LockResult, error) {
		if err := onlyFields(b, "lockTokens"); err != nil {
			return engine.LockResult{}, err
		}
		return s.eng.Ack(c.Request().Context(), app, ref, b.LockTokens)
	})
}

func (s *API) pullRelease(c echo.Context) error {
	return s.pullLocks(c, func(app string, ref design.EventRef, b *lockBody) (engine.LockResult, error) {
		if err := onlyFields(b, "lockTokens", "delaySeconds"); err != nil {
			return engine.LockResult{}, err
		}
		var delay *time.Duration
		if b.DelaySeconds != nil {
			if *b.DelaySeconds < 0 || time.Duration(*b.DelaySeconds)*time.Second > engine.MaxPullReleaseDelay {
				return engine.LockResult{}, &httperr.BadRequest{Code: "out_of_range", Field: "delaySeconds", Message: fmt.Sprintf(
					"delaySeconds must be 0 to %d; leave it out to retry on the retry schedule", int64(engine.MaxPullReleaseDelay/time.Second))}
			}
			d := time.Duration(*b.DelaySeconds) * time.Second
			delay = &d
		}
		return s.eng.Release(c.Request().Context(), app, ref, b.LockTokens, delay)
	})
}

func (s *API) pullReject(c echo.Context) error {
	return s.pullLocks(c, func(app string, ref design.EventRef, b *lockBody) (engine.LockResult, error) {
		if err := onlyFields(b, "lockTokens", "reason"); err != nil {
			return engine.LockResult{}, err
		}
		return s.eng.Reject(c.Request().Context(), app, ref, b.LockTokens, b.Reason)
	})
}

func (s *API) pullExtend(c echo.Context) error {
	return s.pullLocks(c, func(app string, ref design.EventRef, b *lockBody) (engine.LockResult, error) {
		if err := onlyFields(b, "lockTokens", "seconds"); err != nil {
			return engine.LockResult{}, err
		}
		limit := int64(engine.MaxPullExtendFactor * s.eng.Config().HandlerTimeout / time.Second)
		if b.Seconds == nil || *b.Seconds < 1 || *b.Seconds > limit {
			return engine.LockResult{}, &httperr.BadRequest{Code: "out_of_range", Field: "seconds", Message: fmt.Sprintf(
				"seconds is required: how long from now the locks last, 1 to %d (%d handler timeouts)", limit, engine.MaxPullExtendFactor)}
		}
		return s.eng.Extend(c.Request().Context(), app, ref, b.LockTokens, time.Duration(*b.Seconds)*time.Second)
	})
}

// onlyFields refuses a field of lockBody that the operation does not
// take, so a misplaced delaySeconds is not silently ignored.
func onlyFields(b *lockBody, allowed ...string) error {
	set := map[string]bool{"delaySeconds": b.DelaySeconds != nil, "reason": b.Reason != "", "seconds": b.Seconds != nil}
	for _, a := range allowed {
		delete(set, a)
	}
	for name, present := range set {
		if present {
			return &httperr.BadRequest{Code: "unknown_field", Field: name, Message: fmt.Sprintf("this operation takes no %s; see the README's pull section for each operation's fields", name)}
		}
	}
	return nil
}

type lockFailureView struct {
	LockToken string `json:"lockToken"`
	Code      string `json:"code"`
	Message   string `json:"message"`
}

// lockResultView is a lock operation's answer; Error and Details are set
// only when no token succeeded.
type lockResultView struct {
	Succeeded []string          `json:"succeeded"`
	Failed    []lockFailureView `json:"failed"`
	Error     *httperr.Item     `json:"error,omitempty"`
	Details   []httperr.Item    `json:"details,omitempty"`
}

// pullLocks reads a lock operation's body, runs it and answers by the
// status rule above.
func (s *API) pullLocks(c echo.Context, op func(app string, ref design.EventRef, b *lockBody) (engine.LockResult, error)) error {
	app, ref, err := pullTarget(c)
	if err != nil {
		return err
	}
	var b lockBody
	if err := request.Decode(c, s.maxBody, &b); err != nil {
		return err
	}
	res, err := op(app, ref, &b)
	if err != nil {
		return err
	}
	out := lockResultView{Succeeded: res.Succeeded, Failed: make([]lockFailureView, len(res.Failed))}
	conflicts := 0
	for i, f := range res.Failed {
		out.Failed[i] = lockFailureView{LockToken: f.LockToken, Code: f.Err.Code, Message: f.Err.Message}
		if errors.Is(f.Err, fault.ErrConflict) {
			conflicts++
		}
	}
	if len(res.Succeeded) > 0 || len(res.Failed) == 0 {
		return c.JSON(http.StatusOK, out)
	}
	status := http.StatusBadRequest
	if conflicts == len(res.Failed) {
		status = http.StatusConflict
	}
	for _, f := range out.Failed {
		out.Details = append(out.Details, httperr.Item{Code: f.Code, Message: f.Message, Field: "lockTokens"})
	}
	first := out.Details[0]
	if len(out.Failed) > 1 {
		first.Message = fmt.Sprintf("none of the %d lock tokens was accepted; the first: %s", len(out.Failed), first.Message)
	}
	out.Error = &first
	return c.JSON(status, out)
}
