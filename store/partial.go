package store

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/fault"
)

// The terms of the partial indexes of migration 13, exactly as the index
// definitions write them, as formats of the column prefix (an alias and a
// dot, or ""). SQLite uses a partial index only when the query's WHERE
// clause holds the index's term literally (a bound parameter such as
// status = ? proves nothing), so the filters below write these terms out
// next to the condition that implies them.
const (
	// occurrenceStatusTerm is occurrences_status's term.
	occurrenceStatusTerm = "%[1]sstatus <> 'completed'"
	// occurrenceTraceTerm is occurrences_trace's term: a root occurrence
	// is its own trace and has no entry.
	occurrenceTraceTerm = "%[1]strace_id <> %[1]sid"
	// deliveryStatusTerm is deliveries_status's term.
	deliveryStatusTerm = "%[1]sstatus NOT IN ('running', 'succeeded')"
)

// touchedSince selects the ids of the deliveries updated at or after its
// argument, given twice: the others from deliveries_updated, the running
// ones, which that index leaves out (migration 14), from deliveries_lease.
const touchedSince = `SELECT id FROM deliveries INDEXED BY deliveries_updated WHERE updated_at >= ? AND status <> 'running'
	UNION ALL SELECT id FROM deliveries INDEXED BY deliveries_lease WHERE status = 'running' AND updated_at >= ?`

// countsSince counts the deliveries updated at or after its argument,
// given twice, by status, reading the same two indexes as touchedSince.
const countsSince = `SELECT status, count(*) FROM deliveries INDEXED BY deliveries_updated WHERE updated_at >= ? AND status <> 'running' GROUP BY status
	UNION ALL SELECT status, count(*) FROM deliveries INDEXED BY deliveries_lease WHERE status = 'running' AND updated_at >= ? GROUP BY status`

// traceQuery reads trace ?1's occurrences after id ?2, oldest first, at
// most ?3 (-1: all): the root by its rowid merged with the caused ones
// in the order of the partial trace index, so a page of a large trace
// reads that page only.
const traceQuery = `SELECT ` + occurrenceCols + ` WHERE o.id = ?1 AND o.trace_id = o.id AND o.id > ?2
	UNION ALL SELECT ` + occurrenceCols + ` WHERE o.trace_id = ?1 AND o.trace_id <> o.id AND o.id > ?2
	ORDER BY 1 LIMIT ?3`

// occurrenceListQuery is OccurrenceList's statement for the conditions
// w, newest first, with the page size as the last argument.
func occurrenceListQuery(w where) string {
	return `SELECT ` + occurrenceCols + w.String() + ` ORDER BY o.id DESC LIMIT ?`
}

// deliveryListQuery is DeliveryList's statement for the conditions w,
// newest first, with the page size as the last argument.
func deliveryListQuery(w where) string {
	return `SELECT ` + deliveryCols + w.String() + ` ORDER BY d.id DESC LIMIT ?`
}

// occurrenceStatusCond is the condition col = s (col is alias.status,
// or +alias.status to keep the planner off every index) with s as a
// quoted literal, plus occurrences_status's term when s is in that index.
// s must be one of the occurrence states: it is written into the SQL, so
// anything else is refused with an error saying which values are valid.
func occurrenceStatusCond(col string, s delivery.OccurrenceStatus) (string, error) {
	switch s {
	case delivery.OccurrenceCompleted:
		// Not in the index: the newest-first walk of the table finds
		// completed occurrences at once, since almost all of them are.
		return col + " = 'completed'", nil
	case delivery.OccurrencePending, delivery.OccurrenceDead:
		return statusCond(col, string(s), occurrenceStatusTerm), nil
	}
	return "", fault.Field("status", "invalid_status",
		"an occurrence status must be pending, completed or dead; got "+strconv.Quote(string(s)))
}

// deliveryStatusCond is the condition col = s for deliveries (col is
// d.status or +d.status) written so an index serves it: running reads
// deliveries_lease (every running delivery is there), succeeded walks the
// table newest first (the bulk of all deliveries), and the other states
// read deliveries_status. s must be one of the delivery states.
func deliveryStatusCond(col string, s delivery.Status) (string, error) {
	if !s.Valid() {
		return "", fault.Field("status", "invalid_status",
			"a delivery status must be pending, running, retrying, succeeded, dead or discarded; got "+strconv.Quote(string(s)))
	}
	switch {
	case s == delivery.Succeeded || strings.HasPrefix(col, "+"):
		return col + " = '" + string(s) + "'", nil
	case s == delivery.Running:
		// A plain status = 'running' makes the planner walk the whole
		// table by id for an ORDER BY id LIMIT; reading the ids out of
		// the lease index bounds the work by the running deliveries.
		alias := strings.TrimSuffix(col, ".status")
		return alias + ".id IN (SELECT id FROM deliveries WHERE status = 'running')", nil
	}
	return statusCond(col, string(s), deliveryStatusTerm), nil
}

// statusCond is col = 's' plus the partial index's term on the same
// table, unless col carries the unary + that keeps the planner off
// indexes (then the term would only cost a test per row).
func statusCond(col, s, term string) string {
	eq := col + " = '" + s + "'"
	if strings.HasPrefix(col, "+") {
		return eq
	}
	return eq + " AND " + fmt.Sprintf(term, strings.TrimSuffix(col, "status"))
}

// traceCond is the condition "the occurrence is in trace id" on col (a
// trace_id column, alias-qualified or not) and its arguments: the root by
// its rowid (a root is its own trace and has no entry in
// occurrences_trace; the id of a caused occurrence names no trace, hence
// the second test) or a caused occurrence by the partial trace index.
// When col carries the unary + that keeps the planner off indexes, the
// plain test is enough.
func traceCond(col string, id int64) (string, []any) {
	if strings.HasPrefix(col, "+") {
		return col + " = ?", []any{id}
	}
	p := strings.TrimSuffix(col, "trace_id")
	return fmt.Sprintf("((%[1]sid = ? AND %[1]strace_id = %[1]sid) OR (%[1]strace_id = ? AND %[2]s))", p, fmt.Sprintf(occurrenceTraceTerm, p)), []any{id, id}
}
