package client

import (
	"context"
	"net/http"
)

// AsyncAPI returns the server's design as an AsyncAPI 3.0 JSON document,
// for the AsyncAPI generator and other tools that read event contracts.
// PUT /api/v1/design (eventloom import) rebuilds the same design from it.
func (c *Client) AsyncAPI(ctx context.Context) ([]byte, error) {
	return c.Do(ctx, http.MethodGet, "/api/v1/design/asyncapi", "", nil)
}

// OpenAPI returns the OpenAPI 3.1 description of the server's REST API,
// for client generators.
func (c *Client) OpenAPI(ctx context.Context) ([]byte, error) {
	return c.Do(ctx, http.MethodGet, "/api/v1/openapi.json", "", nil)
}
