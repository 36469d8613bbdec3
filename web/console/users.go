package console

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/templates"
	"github.com/eventloom/eventloom/web/httperr"
	"github.com/eventloom/eventloom/web/request"
)

// consoleUserRoutes serves the admin's users page and its forms (admin
// only, per accessTable).
func (s *Console) consoleUserRoutes(g *echo.Group) {
	g.GET("/users", s.usersPage)
	g.POST("/users", s.userCreate)
	g.POST("/users/:name", s.userUpdate)
	g.POST("/users/:name/delete", s.userDelete)
	g.POST("/users/:name/tokens", s.userTokenCreate)
	g.POST("/users/:name/tokens/:id/revoke", s.userTokenRevoke)
}

// usersProps reads every account with its tokens.
func (s *Console) usersProps(c echo.Context) (templates.UsersProps, error) {
	ctx := c.Request().Context()
	users, err := s.eng.Users(ctx)
	if err != nil {
		return templates.UsersProps{}, err
	}
	p := templates.UsersProps{Errors: templates.FieldErrors{}, Form: engine.NewUser{Role: string(engine.RoleViewer)}}
	for _, u := range users {
		toks, err := s.eng.UserTokens(ctx, u.Name)
		if err != nil {
			return p, err
		}
		p.Users = append(p.Users, templates.UserRow{User: u, Tokens: toks})
	}
	return p, nil
}

func (s *Console) usersPage(c echo.Context) error {
	p, err := s.usersProps(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, templates.Users(s.page(c, "Users", "users"), p), nil)
}

// userCreate adds an account; refusals show under their fields, the
// password is never sent back.
func (s *Console) userCreate(c echo.Context) error {
	nu := engine.NewUser{Name: strings.TrimSpace(c.FormValue("name")), Role: c.FormValue("role"), Password: c.FormValue("password")}
	_, err := s.eng.CreateUser(c.Request().Context(), nu)
	if err != nil && len(fault.All(err)) == 0 {
		return err
	}
	if err != nil {
		p, perr := s.usersProps(c)
		if perr != nil {
			return perr
		}
		p.Form, p.Errors = engine.NewUser{Name: nu.Name, Role: nu.Role}, fieldErrors(err, "name", "role", "password")
		return s.render(c, httperr.Classify(err).Status, templates.Users(s.page(c, "Users", "users"), p), nil)
	}
	return back(c, "/users", "Created "+nu.Name+" ("+nu.Role+").")
}

// userUpdate changes a role and/or sets a new password (an empty
// password field keeps the current one).
func (s *Console) userUpdate(c echo.Context) error {
	name := c.Param("name")
	if _, err := s.eng.UpdateUser(c.Request().Context(), name, engine.UserChange{Role: c.FormValue("role"), Password: c.FormValue("password")}); err != nil {
		return err
	}
	return back(c, "/users", "Saved "+name+".")
}

func (s *Console) userDelete(c echo.Context) error {
	name := c.Param("name")
	if err := s.eng.DeleteUser(c.Request().Context(), name); err != nil {
		return err
	}
	return back(c, "/users", "Deleted "+name+": their sessions and tokens ended.")
}

// userTokenCreate shows a new token this once: rendered, not redirected,
// so the token never travels in a URL or a cookie.
func (s *Console) userTokenCreate(c echo.Context) error {
	t, err := s.eng.CreateUserToken(c.Request().Context(), c.Param("name"))
	if err != nil {
		return err
	}
	p, err := s.usersProps(c)
	if err != nil {
		return err
	}
	p.NewToken, p.TokenUser = t.Clear, t.User
	return s.render(c, http.StatusOK, templates.Users(s.page(c, "Users", "users"), p), nil)
}

func (s *Console) userTokenRevoke(c echo.Context) error {
	id, err := request.PathID(c)
	if err != nil {
		return err
	}
	if err := s.eng.RevokeUserToken(c.Request().Context(), c.Param("name"), id); err != nil {
		return err
	}
	return back(c, "/users", "Token revoked.")
}
