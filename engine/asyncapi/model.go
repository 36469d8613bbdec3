package asyncapi

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Version is the AsyncAPI version Export writes and Import reads.
const Version = "3.0.0"

// MediaType is the media type of an AsyncAPI JSON document, which
// PUT /api/v1/design accepts beside the design's own JSON.
const MediaType = "application/vnd.aai.asyncapi+json"

// Document is the part of an AsyncAPI 3.0 document Eventloom writes and
// reads. Fields outside it are ignored on import.
type Document struct {
	AsyncAPI           string               `json:"asyncapi"`
	Info               Info                 `json:"info"`
	Servers            map[string]Server    `json:"servers,omitempty"`
	DefaultContentType string               `json:"defaultContentType,omitempty"`
	Channels           map[string]Channel   `json:"channels"`
	Operations         map[string]Operation `json:"operations"`
	Components         *Components          `json:"components,omitempty"`
}

// Info is the document's info object; its tags are the design's apps.
type Info struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
	Tags        []Tag  `json:"tags,omitempty"`
}

// Tag names an app. On info, AppTag marks the tags that are apps and
// carries the app's fields AsyncAPI has no place for; on an operation a
// tag only names the app the operation belongs to.
type Tag struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	AppTag      bool   `json:"x-eventloom-app,omitempty"`
	Color       string `json:"x-eventloom-color,omitempty"`
	Concurrency int    `json:"x-eventloom-concurrency,omitempty"`
	Endpoint    string `json:"x-eventloom-endpoint,omitempty"`
}

// Server is where a channel can be reached: the REST trigger of the
// Eventloom server, or an app's webhook endpoint.
type Server struct {
	Host        string `json:"host"`
	Protocol    string `json:"protocol"`
	Pathname    string `json:"pathname,omitempty"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	Security    []Ref  `json:"security,omitempty"`
}

// Components holds the security schemes the servers refer to.
type Components struct {
	SecuritySchemes map[string]SecurityScheme `json:"securitySchemes,omitempty"`
}

// SecurityScheme is an HTTP bearer credential (an app key or the admin
// token).
type SecurityScheme struct {
	Type        string `json:"type"`
	Scheme      string `json:"scheme"`
	Description string `json:"description,omitempty"`
}

// Ref is a JSON reference inside the document.
type Ref struct {
	Ref string `json:"$ref"`
}

// Channel is one event: its address is Producer.EventName and it has one
// message. App and Public are the owner and the public flag.
type Channel struct {
	Address     string             `json:"address"`
	Title       string             `json:"title,omitempty"`
	Description string             `json:"description,omitempty"`
	Servers     []Ref              `json:"servers,omitempty"`
	Messages    map[string]Message `json:"messages"`
	App         string             `json:"x-eventloom-app,omitempty"`
	Public      *bool              `json:"x-eventloom-public,omitempty"`
}

// Message is the one message of an event's channel.
type Message struct {
	Name        string  `json:"name,omitempty"`
	Title       string  `json:"title,omitempty"`
	Description string  `json:"description,omitempty"`
	ContentType string  `json:"contentType,omitempty"`
	Payload     *Schema `json:"payload,omitempty"`
}

// Operation is an app sending (the owner triggering) or receiving (a
// subscription handling) an event. Handler, Enabled and Paused carry the
// subscription of a receive operation.
type Operation struct {
	Action      string          `json:"action"`
	Channel     Ref             `json:"channel"`
	Title       string          `json:"title,omitempty"`
	Description string          `json:"description,omitempty"`
	Messages    []Ref           `json:"messages,omitempty"`
	Tags        []Tag           `json:"tags,omitempty"`
	App         string          `json:"x-eventloom-app,omitempty"`
	Handler     json.RawMessage `json:"x-eventloom-handler,omitempty"`
	Enabled     *bool           `json:"x-eventloom-enabled,omitempty"`
	Paused      *bool           `json:"x-eventloom-paused,omitempty"`
}

// Schema is the JSON Schema subset a payload uses: an object of scalar
// properties. Properties keep their order (a parameter's position), which
// a Go map would lose, so they are read and written by hand.
type Schema struct {
	Type                 any         `json:"type,omitempty"`
	Format               string      `json:"format,omitempty"`
	Description          string      `json:"description,omitempty"`
	MaxLength            *int        `json:"maxLength,omitempty"`
	Minimum              *int64      `json:"minimum,omitempty"`
	Maximum              *int64      `json:"maximum,omitempty"`
	Pattern              string      `json:"pattern,omitempty"`
	Properties           *Properties `json:"properties,omitempty"`
	Required             []string    `json:"required,omitempty"`
	AdditionalProperties *bool       `json:"additionalProperties,omitempty"`
	Ref                  string      `json:"$ref,omitempty"`
	EventloomType        string      `json:"x-eventloom-type,omitempty"`
}

// Property is one named property of a payload schema.
type Property struct {
	Name   string
	Schema Schema
}

// Properties is the ordered properties of a payload schema.
type Properties []Property

// MarshalJSON writes the properties as an object in their order.
func (p Properties) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, x := range p {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(x.Name)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(x.Schema)
		if err != nil {
			return nil, fmt.Errorf("property %s: %w", x.Name, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an object of schemas keeping the order it was
// written in.
func (p *Properties) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("properties must be an object of schemas")
	}
	*p = nil
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		var s Schema
		if err := dec.Decode(&s); err != nil {
			return fmt.Errorf("property %s: %w", name, err)
		}
		*p = append(*p, Property{Name: name, Schema: s})
	}
	_, err = dec.Token()
	return err
}
