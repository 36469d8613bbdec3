package asyncapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// YAMLMediaType is the media type of an AsyncAPI YAML document, the form
// AsyncAPI's own examples and tools use most.
const YAMLMediaType = "application/vnd.aai.asyncapi+yaml"

// ToYAML writes a JSON document as block-style YAML with the same members
// in the same order (a parameter's position survives).
func ToYAML(doc []byte) ([]byte, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(doc, &n); err != nil {
		return nil, fmt.Errorf("asyncapi yaml: %w", err)
	}
	blockStyle(&n)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, fmt.Errorf("asyncapi yaml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("asyncapi yaml: %w", err)
	}
	return b.Bytes(), nil
}

// blockStyle drops the flow style JSON parses into, so the encoder writes
// ordinary YAML and quotes a string only where it must.
func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// FromYAML reads a YAML document as JSON, keeping the order of every
// mapping. Anchors and aliases are expanded; a mapping key must be a
// scalar.
func FromYAML(doc []byte) ([]byte, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(doc, &n); err != nil {
		return nil, fmt.Errorf("the document is neither JSON nor YAML: %w", err)
	}
	var b bytes.Buffer
	w := jsonWriter{b: &b, aliasBudget: maxAliasedNodes}
	if err := w.write(&n, 0, false); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// maxYAMLDepth bounds nesting, so a hostile document cannot exhaust the
// stack; an AsyncAPI design is a few levels deep.
const maxYAMLDepth = 64

// maxAliasedNodes bounds the nodes aliases may repeat: an alias may
// repeat a part that itself repeats parts ("billion laughs"), and a real
// document, which seldom uses aliases at all, stays far below 100,000.
const maxAliasedNodes = 100_000

// jsonWriter writes YAML nodes as JSON, counting the nodes written again
// through aliases.
type jsonWriter struct {
	b           *bytes.Buffer
	aliasBudget int
}

func (w *jsonWriter) write(n *yaml.Node, depth int, aliased bool) error {
	b := w.b
	if depth > maxYAMLDepth {
		return fmt.Errorf("line %d: the document nests deeper than %d levels", n.Line, maxYAMLDepth)
	}
	if aliased {
		if w.aliasBudget--; w.aliasBudget < 0 {
			return fmt.Errorf("line %d: aliases repeat over %d nodes; write the parts out instead", n.Line, maxAliasedNodes)
		}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			b.WriteString("null")
			return nil
		}
		return w.write(n.Content[0], depth+1, aliased)
	case yaml.AliasNode:
		return w.write(n.Alias, depth+1, true)
	case yaml.MappingNode:
		b.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: a mapping key must be a plain value", k.Line)
			}
			if i > 0 {
				b.WriteByte(',')
			}
			key, _ := json.Marshal(k.Value)
			b.Write(key)
			b.WriteByte(':')
			if err := w.write(n.Content[i+1], depth+1, aliased); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := w.write(c, depth+1, aliased); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case yaml.ScalarNode:
		return writeScalar(b, n)
	default:
		return fmt.Errorf("line %d: unexpected YAML node", n.Line)
	}
	return nil
}

// writeScalar writes a scalar by its resolved tag; strings, the common
// case, without reflection.
func writeScalar(b *bytes.Buffer, n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!null":
		b.WriteString("null")
		return nil
	case "!!bool", "!!int", "!!float":
		var v any
		if err := n.Decode(&v); err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		if f, ok := v.(float64); ok {
			if math.IsInf(f, 0) || math.IsNaN(f) {
				return fmt.Errorf("line %d: %s is not a number JSON can carry", n.Line, n.Value)
			}
			v = json.Number(strconv.FormatFloat(f, 'g', -1, 64))
		}
		out, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("line %d: %s is not a JSON value: %w", n.Line, n.Value, err)
		}
		b.Write(out)
		return nil
	}
	// Strings, and timestamps and binaries as the text they were written as.
	out, err := json.Marshal(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	b.Write(out)
	return nil
}
