package store

import (
	"context"
	"database/sql"
	"errors"
)

// multiRow stages rows for one statement that takes them as a list of
// tuples (an INSERT's VALUES, a CTE's) and runs it with 2^k rows at a time
// (at most 1<<maxRowsLog2), so a handful of prepared statements serve any
// count. Rows bound as parameters cost the writer no JSON to build or
// parse: the coalesced completion passing its rows through json_each
// spent about half its time in SQLite's JSON functions.
type multiRow struct {
	head, tail string
	cols       int
	stmts      [maxRowsLog2 + 1]*sql.Stmt // stmts[k] takes 1<<k rows
	args       []any
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

// add stages one row (cols values).
func (m *multiRow) add(vals ...any) {
	m.args = append(m.args, vals...)
}

func (m *multiRow) reset() {
	clear(m.args)
	m.args = m.args[:0]
}

func (m *multiRow) stmt(ctx context.Context, conn *sql.Conn, k int) (*sql.Stmt, error) {
	if st := m.stmts[k]; st != nil {
		return st, nil
	}
	st, err := conn.PrepareContext(ctx, m.sql(k))
	if err != nil {
		return nil, err
	}
	m.stmts[k] = st
	return st, nil
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
// staged rows, then drops them (also on failure). Its statements are
// conn's: one multiRow serves one connection.
func (m *multiRow) each(ctx context.Context, conn *sql.Conn, f func(st *sql.Stmt, args []any) error) error {
	defer m.reset()
	rows := len(m.args) / m.cols
	off := 0
	for k := maxRowsLog2; k >= 0; k-- {
		for rows-off >= 1<<k {
			st, err := m.stmt(ctx, conn, k)
			if err != nil {
				return err
			}
			n := 1 << k
			if err := f(st, m.args[off*m.cols:(off+n)*m.cols]); err != nil {
				return err
			}
			off += n
		}
	}
	return nil
}

// flush executes the staged rows on conn.
func (m *multiRow) flush(ctx context.Context, conn *sql.Conn) error {
	return m.each(ctx, conn, func(st *sql.Stmt, args []any) error {
		_, err := st.ExecContext(ctx, args...)
		return err
	})
}

// close closes the prepared statements.
func (m *multiRow) close() error {
	var errs []error
	for i, st := range m.stmts {
		if st != nil {
			errs = append(errs, st.Close())
			m.stmts[i] = nil
		}
	}
	return errors.Join(errs...)
}
