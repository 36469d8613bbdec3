package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/templates"
)

// safeNext keeps a sign-in's return path on this server.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (s *Console) signInPage(c echo.Context) error {
	return s.render(c, http.StatusOK, templates.SignIn(s.page(c, "Sign in", ""), templates.SignInForm{Next: c.QueryParam("next")}), nil)
}

// signIn takes a name and password, or the admin token; a wrong one
// counts toward the client's throttle.
func (s *Console) signIn(c echo.Context) error {
	if err := s.throttle.Refuse(c); err != nil {
		return err
	}
	ctx := c.Request().Context()
	name := strings.TrimSpace(c.FormValue("name"))
	user, refusal := "", ""
	if name != "" || c.FormValue("token") == "" {
		u, err := s.eng.SignIn(ctx, name, c.FormValue("password"))
		if errors.Is(err, fault.ErrUnauthorized) {
			refusal = "That name and password do not match an account. Check both, or ask an admin to set a new password."
		} else if err != nil {
			return err
		}
		user = u.Name
	} else {
		ok, err := s.eng.CheckAdminToken(ctx, c.FormValue("token"))
		if err != nil {
			return err
		}
		if !ok {
			refusal = "That is not the admin token. Use the token printed at the server's first start, or EVENTLOOM_ADMIN_TOKEN."
		}
	}
	if refusal != "" {
		s.throttle.Failed(c)
		p := s.page(c, "Sign in", "")
		return s.render(c, http.StatusUnauthorized, templates.SignIn(p, templates.SignInForm{Next: c.FormValue("next"), Name: name, Error: refusal}), nil)
	}
	if err := s.sessions.Start(c, user); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, safeNext(c.FormValue("next")))
}

func (s *Console) signOut(c echo.Context) error {
	if err := s.sessions.End(c); err != nil {
		return err
	}
	return back(c, "/signin", "Signed out.")
}
