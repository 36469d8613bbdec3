package console

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/templates"
	"github.com/eventloom/eventloom/web/apidoc"
)

// exampleValues fill a path's parameters in a reference's curl line.
var exampleValues = strings.NewReplacer("{app}", "Storefront", "{event}", "OnPurchaseStarted", "{ref}", "Storefront.OnPurchaseStarted", "{id}", "1")

// referencePage renders the REST API's OpenAPI description (the same
// table as /api/v1/openapi.json) as the console's API reference.
func (s *Console) referencePage(c echo.Context) error {
	base := c.Scheme() + "://" + c.Request().Host
	return s.render(c, http.StatusOK, templates.Reference(s.page(c, "API reference", "reference"), referenceProps(base)), nil)
}

func referenceProps(base string) templates.ReferenceProps {
	props := templates.ReferenceProps{OpenAPIURL: "/api/v1/openapi.json", AsyncAPIURL: "/api/v1/design/asyncapi"}
	ops := apidoc.Operations()
	for _, t := range apidoc.Tags() {
		g := templates.ReferenceGroup{Tag: t.Name, Description: t.Description}
		for _, op := range ops {
			if op.Tag == t.Name {
				g.Ops = append(g.Ops, referenceOp(base, op))
			}
		}
		props.Groups = append(props.Groups, g)
	}
	return props
}

func referenceOp(base string, op apidoc.Op) templates.ReferenceOp {
	r := templates.ReferenceOp{Method: op.Method, Path: op.Path, ID: op.ID, Summary: op.Summary, Description: op.Description}
	switch op.Auth {
	case "key":
		r.Auth = "an API key of the owning app, or the admin token"
	case "none":
		r.Auth = "none"
	default:
		r.Auth = "the admin token"
	}
	for _, name := range apidoc.PathParams(op.Path) {
		r.Params = append(r.Params, templates.ReferenceParam{Name: name, In: "path", Type: "string", Required: true, Description: apidoc.PathParamText(name)})
	}
	for _, q := range op.Query {
		t := q.Type
		if len(q.Enum) > 0 {
			t = strings.Join(q.Enum, " | ")
		}
		r.Params = append(r.Params, templates.ReferenceParam{Name: q.Name, In: "query", Type: t, Description: q.Description})
	}
	curl := []string{"curl"}
	if op.Method != http.MethodGet {
		curl = append(curl, "-X", op.Method)
	}
	if op.Auth != "none" {
		token := "$EVENTLOOM_ADMIN_TOKEN"
		if op.Auth == "key" {
			token = "$APP_KEY"
		}
		curl = append(curl, `-H "Authorization: Bearer `+token+`"`)
	}
	if op.Body != nil {
		r.BodySchema = op.Body.Schema
		for _, f := range apidoc.SchemaFields(op.Body.Schema) {
			r.BodyFields = append(r.BodyFields, templates.ReferenceParam{Name: f.Name, Type: f.Type, Description: f.Description, Required: f.Required})
		}
		var pretty bytes.Buffer
		if json.Indent(&pretty, []byte(op.Body.Example), "", "  ") == nil {
			r.BodyExample = pretty.String()
		}
		curl = append(curl, "-H 'Content-Type: application/json'", "-d '"+op.Body.Example+"'")
	}
	r.Curl = strings.Join(append(curl, base+exampleValues.Replace(op.Path)), " ")
	for _, a := range append([]apidoc.Answer{op.OK}, op.Also...) {
		r.Answers = append(r.Answers, templates.ReferenceAnswer{Status: a.Status, Description: a.Description, Schema: a.Schema})
	}
	for _, status := range apidoc.ErrorStatuses(op) {
		r.Answers = append(r.Answers, templates.ReferenceAnswer{Status: status, Description: apidoc.ErrorText[status], Schema: "Error"})
	}
	return r
}
