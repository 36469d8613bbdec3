package store

import (
	"context"
	"database/sql"
	"errors"
)

// multiInsert stages rows for one table and writes them with multi-row
// INSERTs of 2^k rows (at most maxRows), so a handful of prepared
// statements serve any count.
type multiInsert struct {
	head  string
	cols  int
	stmts [8]*sql.Stmt // stmts[k] inserts 1<<k rows
	args  []any
}

// maxRowsLog2 caps a statement at 128 rows: 11 columns * 128 stays far
// below SQLite's 32766 bound parameters.
const maxRowsLog2 = 7

func newMultiInsert(table, cols string, n int) *multiInsert {
	return &multiInsert{head: "INSERT INTO " + table + " (" + cols + ") VALUES ", cols: n}
}

func (m *multiInsert) reset() {
	clear(m.args)
	m.args = m.args[:0]
}

func (m *multiInsert) stmt(ctx context.Context, conn *sql.Conn, k int) (*sql.Stmt, error) {
	if st := m.stmts[k]; st != nil {
		return st, nil
	}
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
	st, err := conn.PrepareContext(ctx, string(b))
	if err != nil {
		return nil, err
	}
	m.stmts[k] = st
	return st, nil
}

// flush writes the staged rows on conn, whose statements m keeps: one
// multiInsert serves one connection.
func (m *multiInsert) flush(ctx context.Context, conn *sql.Conn) error {
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
			if _, err := st.ExecContext(ctx, m.args[off*m.cols:(off+n)*m.cols]...); err != nil {
				return err
			}
			off += n
		}
	}
	return nil
}

// close closes the prepared statements.
func (m *multiInsert) close() error {
	var errs []error
	for i, st := range m.stmts {
		if st != nil {
			errs = append(errs, st.Close())
			m.stmts[i] = nil
		}
	}
	return errors.Join(errs...)
}
