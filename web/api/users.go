package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/web/httperr"
	"github.com/eventloom/eventloom/web/request"
)

// userRoutes serves the accounts API (admin only, per accessTable).
func (s *API) userRoutes(api *echo.Group) {
	api.GET("/users", s.listUsers)
	api.POST("/users", s.createUser)
	api.GET("/users/:name", s.getUser)
	api.PATCH("/users/:name", s.patchUser)
	api.DELETE("/users/:name", s.deleteUser)
	api.GET("/users/:name/tokens", s.listUserTokens)
	api.POST("/users/:name/tokens", s.createUserToken)
	api.DELETE("/users/:name/tokens/:id", s.revokeUserToken)
}

// userBody is POST /users and PATCH /users/{name}: a new account, or the
// role and/or password to change.
type userBody struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	Password string `json:"password"`
}

func (s *API) listUsers(c echo.Context) error {
	users, err := s.eng.Users(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": request.NonNil(users)})
}

func (s *API) createUser(c echo.Context) error {
	var b userBody
	if err := request.Decode(c, s.maxBody, &b); err != nil {
		return err
	}
	u, err := s.eng.CreateUser(c.Request().Context(), engine.NewUser{Name: b.Name, Role: b.Role, Password: b.Password})
	if err != nil {
		return err
	}
	return created(c, "/api/v1/users/"+esc(u.Name), u)
}

func (s *API) getUser(c echo.Context) error {
	u, err := s.eng.User(c.Request().Context(), c.Param("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

func (s *API) patchUser(c echo.Context) error {
	var b userBody
	if err := request.Decode(c, s.maxBody, &b); err != nil {
		return err
	}
	if b.Name != "" && b.Name != c.Param("name") {
		return &httperr.BadRequest{Code: "rename_not_supported", Field: "name", Message: "a user cannot be renamed; create a user with the new name and delete this one"}
	}
	u, err := s.eng.UpdateUser(c.Request().Context(), c.Param("name"), engine.UserChange{Role: b.Role, Password: b.Password})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

func (s *API) deleteUser(c echo.Context) error {
	if err := s.eng.DeleteUser(c.Request().Context(), c.Param("name")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *API) listUserTokens(c echo.Context) error {
	toks, err := s.eng.UserTokens(c.Request().Context(), c.Param("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": request.NonNil(toks)})
}

// createUserToken answers the clear token this once: only its hash is
// kept.
func (s *API) createUserToken(c echo.Context) error {
	t, err := s.eng.CreateUserToken(c.Request().Context(), c.Param("name"))
	if err != nil {
		return err
	}
	return created(c, "/api/v1/users/"+esc(t.User)+"/tokens/"+request.Itoa(t.ID), map[string]any{"id": t.ID, "token": t.Clear, "prefix": t.Prefix, "createdAt": t.CreatedAt})
}

func (s *API) revokeUserToken(c echo.Context) error {
	id, err := request.PathID(c)
	if err != nil {
		return err
	}
	if err := s.eng.RevokeUserToken(c.Request().Context(), c.Param("name"), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
