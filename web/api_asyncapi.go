package web

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine/asyncapi"
	"github.com/eventloom/eventloom/engine/design"
)

// exportAsyncAPI answers the design as an AsyncAPI 3.0 document whose REST
// server is the address the request came to.
func (s *Server) exportAsyncAPI(c echo.Context) error {
	doc, err := asyncapi.Export(s.eng.Design(), asyncapi.Options{
		RESTURL: c.Scheme() + "://" + c.Request().Host + "/api/v1",
		Limits:  s.eng.Config().Limits,
	})
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, asyncapi.MediaType, b)
}

// readDesign reads the body of PUT /api/v1/design: an AsyncAPI 3.0
// document when it says so (its media type, or an "asyncapi" member at
// the top), else the design's own JSON.
func (s *Server) readDesign(c echo.Context) (design.Design, error) {
	b, err := readBody(c, s.maxBody)
	if err != nil {
		return design.Design{}, err
	}
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	var probe struct {
		AsyncAPI *string `json:"asyncapi"`
	}
	if mt == asyncapi.MediaType || (json.Unmarshal(b, &probe) == nil && probe.AsyncAPI != nil) {
		return asyncapi.Import(b)
	}
	c.Request().Body = io.NopCloser(bytes.NewReader(b))
	var d design.Design
	err = s.decode(c, &d)
	return d, err
}
