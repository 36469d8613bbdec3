package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"time"
)

// multiRow stages rows for one statement that takes them as a list of
// tuples (an INSERT's VALUES, a CTE's) and runs it with 2^k rows at a time
// (at most 1<<maxRowsLog2), so a handful of prepared statements serve any
// count. Rows bound as parameters cost the writer no JSON to build or
// parse: the coalesced completion passing its rows through json_each
// spent about half its time in SQLite's JSON functions.
//
// The statements are the driver's own, run inside sql.Conn.Raw with one
// reused argument slice: through database/sql every run allocated a
// driver.NamedValue per argument (up to 1,024 of them), 16% of what the
// process allocated at saturation.
type multiRow struct {
	head, tail string
	cols       int
	stmts      [maxRowsLog2 + 1]driver.Stmt // stmts[k] takes 1<<k rows
	args       []driver.Value
	named      []driver.NamedValue
}

// maxRowsLog2 caps a statement at 128 rows: 11 columns * 128 stays far
// below SQLite's 32766 bound parameters.
const maxRowsLog2 = 7

// newMultiInsert stages rows for table's columns cols (n of them).
func newMultiInsert(table, cols string, n int) *multiRow {
	return newMultiRow("INSERT INTO "+table+" ("+cols+") VALUES ", "", n)
}

// newMultiRow stages rows of n columns for the statement head, the
// tuples, then tail.
func newMultiRow(head, tail string, n int) *multiRow {
	return &multiRow{head: head, tail: tail, cols: n}
}

// add stages one row (cols values of the kinds database/sql accepts).
func (m *multiRow) add(vals ...any) {
	for _, v := range vals {
		m.args = append(m.args, driverValue(v))
	}
}

// driverValue is v as a driver.Value, converted as database/sql would
// (int to int64, a named string type to string, ...).
func driverValue(v any) driver.Value {
	switch v.(type) {
	case nil, int64, float64, bool, []byte, string, time.Time:
		return v
	}
	dv, err := driver.DefaultParameterConverter.ConvertValue(v)
	if err != nil {
		// A bug in the caller: keep the value, and let the statement
		// refuse it with the driver's error.
		return v
	}
	return dv
}

func (m *multiRow) reset() {
	clear(m.args)
	m.args = m.args[:0]
}

// sql is the statement's text for 1<<k rows.
func (m *multiRow) sql(k int) string {
	b := []byte(m.head)
	tuple := make([]byte, 0, 2*m.cols+1)
	tuple = append(tuple, '(')
	for i := range m.cols {
		if i > 0 {
			tuple = append(tuple, ',')
		}
		tuple = append(tuple, '?')
	}
	tuple = append(tuple, ')')
	for i := range 1 << k {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, tuple...)
	}
	b = append(b, m.tail...)
	return string(b)
}

// each runs f with a statement and its arguments for every run of the
// staged rows, then drops them (also on failure). f runs inside conn.Raw
// and must not keep what it is given. The statements are conn's: one
// multiRow serves one connection.
func (m *multiRow) each(ctx context.Context, conn *sql.Conn, f func(st driver.Stmt, args []driver.NamedValue) error) error {
	defer m.reset()
	if len(m.args) == 0 {
		return nil
	}
	return conn.Raw(func(dc any) error {
		rows := len(m.args) / m.cols
		off := 0
		for k := maxRowsLog2; k >= 0; k-- {
			for rows-off >= 1<<k {
				st, err := m.stmt(ctx, dc, k)
				if err != nil {
					return err
				}
				n := 1 << k
				m.named = m.named[:0]
				for i, v := range m.args[off*m.cols : (off+n)*m.cols] {
					m.named = append(m.named, driver.NamedValue{Ordinal: i + 1, Value: v})
				}
				err = f(st, m.named)
				clear(m.named)
				if err != nil {
					return err
				}
				off += n
			}
		}
		return nil
	})
}

// stmt returns the driver statement for 1<<k rows on dc, preparing it once.
func (m *multiRow) stmt(ctx context.Context, dc any, k int) (driver.Stmt, error) {
	if st := m.stmts[k]; st != nil {
		return st, nil
	}
	p, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return nil, fmt.Errorf("multi-row statement: the driver's connection (%T) cannot prepare with a context", dc)
	}
	st, err := p.PrepareContext(ctx, m.sql(k))
	if err != nil {
		return nil, err
	}
	m.stmts[k] = st
	return st, nil
}

// flush executes the staged rows on conn.
func (m *multiRow) flush(ctx context.Context, conn *sql.Conn) error {
	return m.each(ctx, conn, func(st driver.Stmt, args []driver.NamedValue) error {
		x, ok := st.(driver.StmtExecContext)
		if !ok {
			return fmt.Errorf("multi-row statement: the driver's statement (%T) cannot execute with a context", st)
		}
		_, err := x.ExecContext(ctx, args)
		return err
	})
}

// queryRows runs st with args and calls row for each row it returns, with
// the row's values (reused between rows).
func queryRows(ctx context.Context, st driver.Stmt, args []driver.NamedValue, row func(vals []driver.Value) error) error {
	q, ok := st.(driver.StmtQueryContext)
	if !ok {
		return fmt.Errorf("multi-row statement: the driver's statement (%T) cannot query with a context", st)
	}
	rows, err := q.QueryContext(ctx, args)
	if err != nil {
		return err
	}
	vals := make([]driver.Value, len(rows.Columns()))
	for {
		if err := rows.Next(vals); err != nil {
			cerr := rows.Close()
			if errors.Is(err, io.EOF) {
				return cerr
			}
			return err
		}
		if err := row(vals); err != nil {
			_ = rows.Close()
			return err
		}
	}
}

// close closes the prepared statements on conn, their connection.
func (m *multiRow) close(conn *sql.Conn) error {
	var errs []error
	err := conn.Raw(func(any) error {
		for i, st := range m.stmts {
			if st != nil {
				errs = append(errs, st.Close())
				m.stmts[i] = nil
			}
		}
		return nil
	})
	return errors.Join(append(errs, err)...)
}
