package flow

import (
	"context"
	"strings"

	"github.com/eventloom/eventloom/engine/clock"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/expr-lang/expr"
)

// Filter is a subscription's filter: a boolean expression over the
// handled event's parameters that decides, for each occurrence, whether
// the subscription gets a delivery at all. It is checked like a step's
// when (types, size, cost) and runs under the same budgets.
type Filter struct {
	src    string
	prog   *program
	params []design.Parameter
}

// CompileFilter checks src against the parameters of handled. An empty
// src is no filter (nil, nil). A mistake is a fault.List with Field
// "filter" and the codes a step's when gets ("expression", "too_complex",
// "too_costly").
func CompileFilter(src string, handled design.Event) (*Filter, error) {
	if strings.TrimSpace(src) == "" {
		return nil, nil
	}
	c := &compiler{handled: handled, env: compileEnv(handled)}
	p := c.expr("filter", src, "the filter", expr.AsBool())
	if len(c.errs) > 0 {
		return nil, c.errs
	}
	return &Filter{src: src, prog: p, params: handled.Parameters}, nil
}

// String is the filter's expression as written.
func (f *Filter) String() string { return f.src }

// Match evaluates the filter over params (as payload.Decode gives them);
// an error is one the expression met at run time (a budget, a failed
// conversion).
func (f *Filter) Match(ctx context.Context, params map[string]any, clk clock.Clock) (bool, error) {
	if clk == nil {
		clk = clock.Real()
	}
	return f.prog.bool(ctx, (&Flow{params: f.params}).vars(params, clk))
}
