package api

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine/asyncapi"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/web/apidoc"
	"github.com/eventloom/eventloom/web/httperr"
	"github.com/eventloom/eventloom/web/request"
)

// exportAsyncAPI answers the design as an AsyncAPI 3.0 document whose REST
// server is the address the request came to: JSON, or YAML with
// ?format=yaml.
func (s *API) exportAsyncAPI(c echo.Context) error {
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
	switch c.QueryParam("format") {
	case "", "json":
		return c.Blob(http.StatusOK, asyncapi.MediaType, b)
	case "yaml":
		y, err := asyncapi.ToYAML(b)
		if err != nil {
			return err
		}
		return c.Blob(http.StatusOK, asyncapi.YAMLMediaType, y)
	}
	return &httperr.BadRequest{Code: "bad_query", Field: "format", Message: "format must be json or yaml; got " + strconv.Quote(c.QueryParam("format"))}
}

// readDesign reads the body of PUT /api/v1/design: an AsyncAPI 3.0
// document when it says so (a JSON or YAML media type of AsyncAPI, any
// YAML media type, or an "asyncapi" member at the top of JSON), else the
// design's own JSON.
func (s *API) readDesign(c echo.Context) (design.Design, error) {
	b, err := request.ReadBody(c, s.maxBody)
	if err != nil {
		return design.Design{}, err
	}
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	var probe struct {
		AsyncAPI *string `json:"asyncapi"`
	}
	switch mt {
	case asyncapi.MediaType, asyncapi.YAMLMediaType, "application/yaml", "application/x-yaml", "text/yaml":
		return asyncapi.Import(b)
	}
	if json.Unmarshal(b, &probe) == nil && probe.AsyncAPI != nil {
		return asyncapi.Import(b)
	}
	c.Request().Body = io.NopCloser(bytes.NewReader(b))
	var d design.Design
	err = request.Decode(c, s.maxBody, &d)
	return d, err
}

// serveOpenAPI answers GET /api/v1/openapi.json: the REST API's OpenAPI
// 3.1 description, its server being the address the request came to. It
// needs no credentials: it tells how to call the API, nothing of the data.
func (s *API) serveOpenAPI(c echo.Context) error {
	return c.JSONPretty(http.StatusOK, apidoc.Document(c.Scheme()+"://"+c.Request().Host), "  ")
}
