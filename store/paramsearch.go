package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/eventloom/eventloom/engine/storage"
)

// paramLimits choose a payload search's plan from how many occurrences
// each condition matches in the index (a probe reads at most walk+1 ids
// of each condition's range, index only).
type paramLimits struct {
	// driven: a condition matching at most this many drives the query:
	// its ids are read from occurrence_params and looked up by id, and the
	// rest of the query touches only those rows. 2,000 ids keep the list
	// small to pass and to sort.
	driven int
	// walk: when every condition matches at least this many (a list
	// only, not a count), matches are dense, so walking the rows newest
	// first and testing each row's JSON fills a page after a few rows,
	// where reading every match from the index would cost them all. At
	// 50,000 a probe stays an index-only read of a few milliseconds.
	walk int
}

// rowCost is what testing one row's parameters costs, in reads of one
// index entry.
const rowCost = 10

// defaultParamLimits are the limits a Store uses.
var defaultParamLimits = paramLimits{driven: 2000, walk: 50_000}

// paramGroup is the conditions on one parameter name, with the events
// they are restricted to (nil: every event).
type paramGroup struct {
	name   string
	conds  []storage.ParamCond
	events []int64
}

// groupParams checks conds and groups them by name, in order.
func groupParams(conds []storage.ParamCond, eventID int64) ([]paramGroup, error) {
	var out []paramGroup
	at := map[string]int{}
	for _, c := range conds {
		if err := c.Validate(); err != nil {
			return nil, err
		}
		i, ok := at[c.Name]
		if !ok {
			i = len(out)
			at[c.Name] = i
			out = append(out, paramGroup{name: c.Name})
		}
		out[i].conds = append(out[i].conds, c)
	}
	for i := range out {
		out[i].events = eventsOf(out[i].conds, eventID)
	}
	return out, nil
}

// valueOp is the comparison of one condition on x (an expression taking
// xArgs) and its arguments. Numbers sort before text in SQLite, so a
// range open at one end gets a class bound there (a lower numeric bound
// stays under ”, an upper text bound at or over it), unless closed
// says the group bounds that end itself.
func valueOp(x string, xArgs []any, c storage.ParamCond, closed bool) (string, []any) {
	_, text := c.Value.(string)
	args := append(append([]any(nil), xArgs...), c.Value)
	switch {
	case c.Op == storage.ParamEq:
		return x + " = ?", args
	case c.Op == storage.ParamGE && !text && !closed:
		return x + " >= ? AND " + x + " < ''", append(args, xArgs...)
	case c.Op == storage.ParamGE:
		return x + " >= ?", args
	case c.Op == storage.ParamLE && text && !closed:
		return x + " <= ? AND " + x + " >= ''", append(args, xArgs...)
	}
	return x + " <= ?", args
}

// closed reports whether g bounds the end of c's range that c leaves
// open: another condition of the same class that is an equality or the
// opposite bound.
func (g paramGroup) closed(c storage.ParamCond) bool {
	_, text := c.Value.(string)
	for _, o := range g.conds {
		_, otext := o.Value.(string)
		if otext == text && (o.Op == storage.ParamEq || (o.Op != c.Op && o.Op != storage.ParamEq)) {
			return true
		}
	}
	return false
}

// indexSQL selects the occurrence ids the index holds for g: those it
// covers (up to search.progress.upto). Probes read it alone; a search
// reads matchSQL.
func (g paramGroup) indexSQL() (string, []any) {
	var b strings.Builder
	var args []any
	b.WriteString("SELECT occurrence_id FROM search.occurrence_params WHERE ")
	switch len(g.events) {
	case 0:
	case 1:
		b.WriteString("event_id = ? AND ")
		args = append(args, g.events[0])
	default:
		b.WriteString("event_id IN (SELECT value FROM json_each(?)) AND ")
		args = append(args, idList(g.events))
	}
	b.WriteString("name = ? AND bucket IN (" + searchBuckets + ")")
	args = append(args, g.name)
	for _, c := range g.conds {
		cond, cargs := valueOp("value", nil, indexedCond(c), g.closed(c))
		b.WriteString(" AND " + cond)
		args = append(args, cargs...)
	}
	return b.String(), args
}

// searchBuckets selects the index's buckets, up to the one of the newest
// occurrence it covers: with bucket constrained, each bucket's range of a
// name and value is sought; without, every entry of the name is read.
const searchBuckets = `WITH RECURSIVE b(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM b
	WHERE n < (SELECT upto >> shift FROM search.progress)) SELECT n FROM b`

// indexedCond is c as the index can answer it: a text value is cut to the
// index's maxIndexedText bytes, as the index cuts what it holds. A cut
// value v[:n] is at most v, so an index range from the cut lower bound
// holds every match (and more: inexact says when the rows must be tested
// too).
func indexedCond(c storage.ParamCond) storage.ParamCond {
	if s, ok := c.Value.(string); ok {
		c.Value = indexedText(s)
	}
	return c
}

// inexact reports whether the index's answer for g holds occurrences that
// do not match (text cut to maxIndexedText bytes): an equality or lower
// bound at least that long, or any upper bound on text (a long value whose
// cut is under the bound may not be).
func (g paramGroup) inexact() bool {
	for _, c := range g.conds {
		s, ok := c.Value.(string)
		if !ok {
			continue
		}
		switch c.Op {
		case storage.ParamEq:
			if len(s) >= maxIndexedText {
				return true
			}
		case storage.ParamGE:
			if len(s) > maxIndexedText {
				return true
			}
		default:
			return true
		}
	}
	return false
}

// matchSQL selects every occurrence id g matches: the index's, and those
// of the occurrences past what it covers (searchindex.go), tested by their
// JSON. One statement reads both, so they meet at the same upto.
func (g paramGroup) matchSQL() (string, []any) {
	sel, args := g.indexSQL()
	cond, cargs := g.rowSQL("event_id", "parameters")
	return sel + " UNION ALL SELECT id FROM occurrences WHERE id > (SELECT upto FROM search.progress) AND " + cond,
		append(args, cargs...)
}

// keyExpr is the index key of parameter name in the JSON column params,
// computed from the JSON: storage.ParamKey in SQL (the rule of migration
// 11's backfill; json_extract already gives booleans as 1 and 0).
func keyExpr(params string) string {
	return `(SELECT CASE WHEN typeof(v) = 'text' AND length(v) >= 20
		AND v GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'
		THEN substr(v, 1, 19) || '.' || substr(CASE WHEN substr(v, 20, 1) = '.' THEN substr(v, 21, length(v) - 21) ELSE '' END || '000000000', 1, 9) || 'Z'
		ELSE v END FROM (SELECT json_extract(` + params + `, ?) AS v))`
}

// exact reports whether g has an equality condition.
func (g paramGroup) exact() bool {
	for _, c := range g.conds {
		if c.Op == storage.ParamEq {
			return true
		}
	}
	return false
}

// rowSQL tests g on one row: its event column and its parameters column.
func (g paramGroup) rowSQL(eventCol, params string) (string, []any) {
	var parts []string
	var args []any
	switch len(g.events) {
	case 0:
	case 1:
		parts = append(parts, eventCol+" = ?")
		args = append(args, g.events[0])
	default:
		parts = append(parts, eventCol+" IN (SELECT value FROM json_each(?))")
		args = append(args, idList(g.events))
	}
	path := `$."` + g.name + `"`
	for _, c := range g.conds {
		x := "json_extract(" + params + ", ?)"
		if str, ok := c.Value.(string); ok && storage.TimeKeyed(str) {
			x = keyExpr(params)
		}
		cond, cargs := valueOp(x, []any{path}, c, g.closed(c))
		parts = append(parts, cond)
		args = append(args, cargs...)
	}
	return strings.Join(parts, " AND "), args
}

// planKind is how a query applies its payload conditions.
type planKind int

const (
	planNone  planKind = iota // no conditions
	planIDs                   // driven by the ids of the most selective condition
	planIndex                 // each condition a subquery of the index; SQLite plans
	planRows                  // each row's JSON tested while walking newest first
)

// paramPlan is a query's plan for its payload conditions: ids (planIDs)
// and the groups tested per row.
type paramPlan struct {
	kind planKind
	ids  []int64
	rows []paramGroup
	// index are the groups applied as index subqueries (planIndex).
	index []paramGroup
	// bounded: the index subqueries match at most the probe's limit, so
	// they drive the query.
	bounded bool
}

// planParams probes each group's index range and picks the plan: ids
// when one group matches at most lim.driven occurrences (the others are
// tested on those rows only); rows when list is true and every group
// matches at least lim.walk, or when testing the rows the query's other
// filters select (others counts them, up to the probe's limit) costs
// less than reading every match; index subqueries otherwise.
func planParams(ctx context.Context, q querier, groups []paramGroup, lim paramLimits, list bool, others func() (int, error)) (paramPlan, error) {
	if len(groups) == 0 {
		return paramPlan{}, nil
	}
	probe := max(lim.driven, lim.walk)
	best, bestN, minN, dense := -1, 0, probe+1, true
	// Exact matches first: they are the likeliest to be selective, and
	// once one is, the other probes need count only up to it.
	order := make([]int, 0, len(groups))
	for _, exact := range []bool{true, false} {
		for i, g := range groups {
			if g.exact() == exact {
				order = append(order, i)
			}
		}
	}
	for _, i := range order {
		g := groups[i]
		sel, args := g.indexSQL()
		upTo := probe + 1
		if best >= 0 {
			upTo = bestN
		}
		var n int
		if err := q.QueryRowContext(ctx, "SELECT count(*) FROM ("+sel+" LIMIT "+strconv.Itoa(upTo)+")", args...).Scan(&n); err != nil {
			return paramPlan{}, fmt.Errorf("probe the payload index for %s: %w", g.name, err)
		}
		if n == upTo && best >= 0 {
			continue // no more selective than the one found
		}
		if n < lim.walk {
			dense = false
		}
		minN = min(minN, n)
		if n <= lim.driven && (best < 0 || n < bestN) {
			best, bestN = i, n
		}
		if best >= 0 && bestN == 0 {
			break
		}
	}
	var bestIDs []int64
	if best >= 0 {
		sel, args := groups[best].matchSQL()
		rows, err := q.QueryContext(ctx, sel, args...)
		if err != nil {
			return paramPlan{}, fmt.Errorf("read the payload index for %s: %w", groups[best].name, err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return paramPlan{}, err
			}
			bestIDs = append(bestIDs, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return paramPlan{}, err
		}
	}
	switch {
	case best >= 0:
		p := paramPlan{kind: planIDs, ids: bestIDs}
		for i, g := range groups {
			if i != best || g.inexact() {
				p.rows = append(p.rows, g)
			}
		}
		return p, nil
	case list && dense:
		return paramPlan{kind: planRows, rows: groups}, nil
	}
	n, err := others()
	if err != nil {
		return paramPlan{}, fmt.Errorf("count the rows the other filters select: %w", err)
	}
	// Testing a row's JSON costs about ten reads of the index (measured
	// by BenchmarkPayloadSearch). A page walks until it has its rows:
	// when at least half the rows the other filters select match, that
	// is soon even if the matches cluster in time.
	// minN past the probe is only known to be large: then testing the
	// rows the other filters select, when they are few enough to count,
	// beats reading every match.
	if n*rowCost <= minN || (list && 2*minN >= n) || (minN > probe && n <= probe) {
		return paramPlan{kind: planRows, rows: groups}, nil
	}
	// A bounded set of matches drives the query (the other filters'
	// indexes are not used), unless it is unbounded too.
	p := paramPlan{kind: planIndex, index: groups, bounded: minN <= probe}
	for _, g := range groups {
		if g.inexact() {
			p.rows = append(p.rows, g)
		}
	}
	return p, nil
}

// col is a column of a condition: prefixed with + (which keeps SQLite
// from using an index on it) when the query is driven by ids or a bounded
// index subquery, so the planner looks those up instead of walking
// another index.
func (p paramPlan) col(c string) string {
	if p.kind == planIDs || p.bounded {
		return "+" + c
	}
	return c
}

// apply adds the plan's conditions on an occurrence id column idCol; the
// per-row tests read eventCol and params, wrapped by outer (a subquery
// that reaches the occurrence from a delivery).
func (p paramPlan) apply(w *where, idCol, eventCol, params string, outer func(string) string) {
	if p.kind == planIDs {
		w.add(idCol+" IN (SELECT value FROM json_each(?))", idList(p.ids))
	}
	for _, g := range p.index {
		sel, args := g.matchSQL()
		w.addN(idCol+" IN ("+sel+")", args...)
	}
	for _, g := range p.rows {
		cond, args := g.rowSQL(eventCol, params)
		w.addN(outer(cond), args...)
	}
}

// eventsOf is the events conditions on one name are restricted to: the
// intersection of their EventIDs, narrowed to eventID when set.
func eventsOf(conds []storage.ParamCond, eventID int64) []int64 {
	var set []int64
	if eventID != 0 {
		set = []int64{eventID}
	}
	for _, c := range conds {
		if len(c.EventIDs) == 0 {
			continue
		}
		if set == nil {
			set = append([]int64(nil), c.EventIDs...)
			continue
		}
		var keep []int64
		for _, id := range set {
			for _, x := range c.EventIDs {
				if x == id {
					keep = append(keep, id)
					break
				}
			}
		}
		if keep == nil {
			keep = []int64{-1} // no event fits every condition: match none
		}
		set = keep
	}
	return set
}

// addN adds a condition with any number of arguments.
func (w *where) addN(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// occurrenceWhere builds OccurrenceList's conditions.
func occurrenceWhere(ctx context.Context, q querier, p *storage.OccurrenceListParams, lim paramLimits) (where, error) {
	if p.Status != "" {
		if _, err := occurrenceStatusCond("o.status", p.Status); err != nil {
			return where{}, err
		}
	}
	base := func(plan paramPlan) where {
		var w where
		if p.AppID != 0 {
			w.add(plan.col("o.app_id")+" = ?", p.AppID)
		}
		if p.EventID != 0 {
			w.add(plan.col("o.event_id")+" = ?", p.EventID)
		}
		if p.Status != "" {
			cond, _ := occurrenceStatusCond(plan.col("o.status"), p.Status) // checked above
			w.addN(cond)
		}
		if p.TraceID != 0 {
			cond, args := traceCond(plan.col("o.trace_id"), p.TraceID)
			w.addN(cond, args...)
		}
		if !p.Since.IsZero() {
			w.add(plan.col("o.created_at")+" >= ?", bound(p.Since))
		}
		if !p.Until.IsZero() {
			w.add(plan.col("o.created_at")+" < ?", bound(p.Until))
		}
		if p.BeforeID != 0 {
			w.add("o.id < ?", p.BeforeID)
		}
		return w
	}
	groups, err := groupParams(p.Params, p.EventID)
	if err != nil {
		return where{}, err
	}
	plan, err := planParams(ctx, q, groups, lim, true, func() (int, error) {
		w := base(paramPlan{})
		return countUpTo(ctx, q, "SELECT 1 FROM occurrences o"+w.String(), w.args, max(lim.driven, lim.walk)+1)
	})
	if err != nil {
		return where{}, err
	}
	w := base(plan)
	plan.apply(&w, "o.id", "o.event_id", "o.parameters", func(c string) string { return c })
	return w, nil
}

// deliveryWhere builds DeliveryList's and DeliveryCount's conditions
// (list: for a page, not a count).
func deliveryWhere(ctx context.Context, q querier, p *storage.DeliveryListParams, lim paramLimits, list bool) (where, error) {
	if p.Status != "" {
		if _, err := deliveryStatusCond("d.status", p.Status); err != nil {
			return where{}, err
		}
	}
	base := func(plan paramPlan) where {
		var w where
		if p.AppID != 0 {
			w.add(plan.col("d.app_id")+" = ?", p.AppID)
		}
		if p.EventID != 0 {
			w.add(plan.col("d.event_id")+" = ?", p.EventID)
		}
		if p.OccurrenceID != 0 {
			w.add("d.occurrence_id = ?", p.OccurrenceID)
		}
		if p.SubscriptionID != 0 {
			w.add(plan.col("d.subscription_id")+" = ?", p.SubscriptionID)
		}
		if p.TraceID != 0 {
			cond, args := traceCond("trace_id", p.TraceID)
			w.addN("d.occurrence_id IN (SELECT id FROM occurrences WHERE "+cond+")", args...)
		}
		if p.Status != "" {
			cond, _ := deliveryStatusCond(plan.col("d.status"), p.Status) // checked above
			w.addN(cond)
		}
		if !p.Since.IsZero() {
			w.add(plan.col("d.created_at")+" >= ?", bound(p.Since))
		}
		if !p.Until.IsZero() {
			w.add(plan.col("d.created_at")+" < ?", bound(p.Until))
		}
		if p.BeforeID != 0 {
			w.add("d.id < ?", p.BeforeID)
		}
		return w
	}
	groups, err := groupParams(p.Params, p.EventID)
	if err != nil {
		return where{}, err
	}
	plan, err := planParams(ctx, q, groups, lim, list, func() (int, error) {
		w := base(paramPlan{})
		return countUpTo(ctx, q, "SELECT 1 FROM deliveries d"+w.String(), w.args, max(lim.driven, lim.walk)+1)
	})
	if err != nil {
		return where{}, err
	}
	w := base(plan)
	plan.apply(&w, "d.occurrence_id", "d.event_id", "oo.parameters", func(c string) string {
		return "EXISTS (SELECT 1 FROM occurrences oo WHERE oo.id = d.occurrence_id AND " + c + ")"
	})
	return w, nil
}

// countUpTo counts the rows of sel, stopping at n.
func countUpTo(ctx context.Context, q querier, sel string, args []any, n int) (int, error) {
	var c int
	err := q.QueryRowContext(ctx, "SELECT count(*) FROM ("+sel+" LIMIT "+strconv.Itoa(n)+")", args...).Scan(&c)
	return c, err
}

// DeliveryCount counts the deliveries DeliveryList would return without
// a page limit.
func (s *Store) DeliveryCount(ctx context.Context, p *storage.DeliveryListParams) (int, error) {
	w, err := deliveryWhere(ctx, s.rdb, p, s.paramLimits, false)
	if err != nil {
		return 0, fmt.Errorf("delivery count: %w", err)
	}
	var n int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM deliveries d`+w.String(), w.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("delivery count: %w", err)
	}
	return n, nil
}
