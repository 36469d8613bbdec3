package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"

	"github.com/eventloom/eventloom/engine/storage"
)

// SearchIndexFile is the payload search index's file inside Config.Dir.
// It is derived from the database: deleting it (with the store closed)
// loses nothing, the next Open rebuilds it.
const SearchIndexFile = "eventloom-search.db"

// searchIndexFormat is the index file's user_version: a file of another
// format is rebuilt. Format 2 keys entries by bucket (searchBucketShift).
const searchIndexFormat = 2

// searchBucketShift sets the index's buckets: occurrence id >> 12, runs of
// 4,096 occurrences (progress.shift records a file's). An entry's key is
// (event, name, bucket, value, occurrence), so a batch of new occurrences
// lands on the newest bucket's few pages of each parameter instead of on
// a page per entry scattered over the whole index: at saturation
// (eventloom bench, 7 parameters an occurrence) the process wrote 560-620
// MB in a run instead of 820-1,050. A search seeks once per bucket
// (paramGroup.indexSQL): ~250 seeks per parameter for a million
// occurrences.
const searchBucketShift = 12

// searchChunk is the most occurrences one index transaction covers. Its
// dirty pages stay in memory until it commits; they are the newest
// bucket's pages of each parameter, whatever the chunk's size (unbucketed,
// each entry dirtied a page of its own: at 2,000 occurrences a
// transaction held ~40 MB).
const searchChunk = 1000

// maxIndexedText is the most bytes of a text value the index keeps: a
// longer value is kept cut (indexedText), and a search tests the JSON of
// what the cut matches (paramGroup.inexact). Equality on ids, names and
// addresses stays exact in the index, while a long free text costs no
// more index than a short one: its whole length would make its entry,
// and the pages every batch of the index rewrites, ten times larger.
const maxIndexedText = 64

// indexedText is s as the index keeps it: its first maxIndexedText bytes.
func indexedText(s string) string {
	if len(s) > maxIndexedText {
		return s[:maxIndexedText]
	}
	return s
}

// lineageSetting names the settings row that identifies a database and
// its copies (migration 13): an index built from another database is
// rebuilt.
const lineageSetting = "store.lineage"

// searchIndex keeps the payload search index (occurrence_params: one row
// per parameter of each occurrence, keyed by event, name and value) in a
// file of its own, filled by its own goroutine a step behind the writer.
// Written by the writer, those rows land at scattered places of the
// index and made the transaction every trigger waits on several times
// larger; here they are written beside it, under another lock, in larger
// batches. The index covers the occurrences up to progress.upto; a search
// adds the occurrences past it (the tail, a few batches at most) by
// testing their JSON (paramGroup.matchSQL), so its answer is exact while
// the index catches up.
type searchIndex struct {
	log  *slog.Logger
	db   *sql.DB
	conn *sql.Conn // the index's one connection
	// shift: an occurrence's bucket is its id >> shift (searchBucketShift).
	shift int
	ins   *multiRow

	mu      sync.Mutex // serialises steps: the loop's and catchUp's
	lastLog time.Time  // of catching-up progress, guarded by mu

	// indexed is progress.upto as last committed; newest is the newest
	// occurrence id the writer committed. Their difference is lag.
	indexed, newest atomic.Int64

	wake chan struct{}
	stop chan struct{}
	done chan struct{}
}

// fileURI is path as an SQLite URI filename. A '#' in a directory name
// (Go's t.TempDir makes such names) or a '?' would otherwise end the file
// name early and open another database.
func fileURI(path string) string {
	u := url.URL{Scheme: "file", Opaque: strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)}
	return u.String()
}

// openSearchIndex opens (creating or rebuilding as needed) the index at
// path for the database at dbPath, whose lineage and newest occurrence id
// are given, with buckets of 1<<shift occurrences (0: searchBucketShift).
// The loop starts with start.
func openSearchIndex(ctx context.Context, path, dbPath, lineage string, newest int64, shift int, log *slog.Logger) (*searchIndex, error) {
	if shift == 0 {
		shift = searchBucketShift
	}
	db, err := sql.Open("sqlite", fileURI(path)+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)")
	if err != nil {
		return nil, fmt.Errorf("payload search index: %w", err)
	}
	db.SetMaxOpenConns(1)
	x := &searchIndex{
		log: log, db: db, shift: shift,
		ins:  newMultiInsert("main.occurrence_params", "event_id, name, bucket, value, occurrence_id", 5),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	if x.conn, err = db.Conn(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("payload search index: %w", err)
	}
	// The occurrences are read on the index's own connection, with the
	// database at dbPath attached read only as src: read through the
	// store's reader pool, they filled each reader's page cache with
	// pages no reader wanted (~1.5 MB RSS at -fill 100000). It reads each
	// occurrence once, in order, so src's page cache stays small.
	_, err = x.conn.ExecContext(ctx, "ATTACH DATABASE ? AS src", fileURI(dbPath)+"?mode=ro")
	if err == nil {
		_, err = x.conn.ExecContext(ctx, "PRAGMA src.cache_size = -64")
	}
	if err != nil {
		x.conn.Close()
		db.Close()
		return nil, fmt.Errorf("payload search index: attach the database: %w", err)
	}
	if err := x.prepare(ctx, lineage, newest); err != nil {
		x.conn.Close()
		db.Close()
		return nil, fmt.Errorf("payload search index %s: %w", path, err)
	}
	return x, nil
}

// removeSearchIndex deletes the index file at path with its WAL and
// shared memory files; missing ones are not an error.
func removeSearchIndex(path string) error {
	var errs []error
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// prepare creates the index's tables, or drops and recreates them when
// the file holds another format, another database's index, or an index
// past the newest occurrence (the database was replaced by an older copy,
// whose next occurrences reuse those ids).
func (x *searchIndex) prepare(ctx context.Context, lineage string, newest int64) error {
	var format int
	if err := x.conn.QueryRowContext(ctx, "PRAGMA main.user_version").Scan(&format); err != nil {
		return err
	}
	if format == searchIndexFormat {
		var of string
		var upto int64
		var shift int
		err := x.conn.QueryRowContext(ctx, "SELECT lineage, upto, shift FROM main.progress").Scan(&of, &upto, &shift)
		switch {
		case err != nil:
			x.log.Warn("store: the payload search index is unreadable; rebuilding it", "err", err)
		case shift != x.shift:
			x.log.Warn("store: the payload search index has buckets of another width; rebuilding it", "shift", shift, "want", x.shift)
		case of != lineage:
			x.log.Warn("store: the payload search index belongs to another database; rebuilding it")
		case upto > newest:
			x.log.Warn("store: the payload search index is newer than the database (restored from a copy?); rebuilding it",
				"indexed_upto", upto, "newest_occurrence", newest)
		default:
			x.indexed.Store(upto)
			x.newest.Store(newest)
			return nil
		}
	} else if format != 0 {
		x.log.Warn("store: the payload search index has another format; rebuilding it", "format", format, "want", searchIndexFormat)
	}
	tx, err := x.conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{
		"DROP TABLE IF EXISTS main.occurrence_params",
		"DROP TABLE IF EXISTS main.progress",
		// Values keep their JSON class (no column type, so no
		// affinity): storage.ParamKey.
		`CREATE TABLE main.occurrence_params (
			event_id      INTEGER NOT NULL,
			name          TEXT    NOT NULL,
			bucket        INTEGER NOT NULL,
			value                 NOT NULL,
			occurrence_id INTEGER NOT NULL,
			PRIMARY KEY (event_id, name, bucket, value, occurrence_id)
		) WITHOUT ROWID`,
		`CREATE TABLE main.progress (
			one     INTEGER PRIMARY KEY CHECK (one = 1),
			lineage TEXT    NOT NULL,
			upto    INTEGER NOT NULL,
			shift   INTEGER NOT NULL
		)`,
		fmt.Sprintf("PRAGMA main.user_version = %d", searchIndexFormat),
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO main.progress (one, lineage, upto, shift) VALUES (1, ?, 0, ?)", lineage, x.shift); err != nil {
		return err
	}
	x.indexed.Store(0)
	x.newest.Store(newest)
	return tx.Commit()
}

// start runs the loop, which indexes at once what the database holds.
func (x *searchIndex) start() {
	x.kick(x.newest.Load())
	go x.loop()
}

// kick tells the loop that occurrences up to id newest were committed.
// It never blocks.
func (x *searchIndex) kick(newest int64) {
	x.newest.Store(newest)
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

func (x *searchIndex) loop() {
	defer close(x.done)
	if err := background(); err != nil {
		x.log.Warn("store: payload search index: could not lower its thread's priority; it indexes at the process's", "err", err)
	}
	ctx := context.Background()
	for {
		select {
		case <-x.stop:
			return
		case <-x.wake:
		}
		// Let commits gather: one index transaction then covers many
		// (at 1,000 triggers/s, a chunk instead of one each). Only once
		// per wake: catching up (a rebuild of a large history, say)
		// rests only as long as it works.
		if !x.pause(searchSettle) {
			return
		}
		for {
			start := time.Now()
			n, err := x.stepBounded(ctx)
			if err != nil {
				// Searches stay exact (the tail grows); the next commit
				// tries again.
				x.log.Warn("store: payload search index: indexing failed; searches test each newer occurrence until it succeeds", "err", err)
				break
			}
			if n < searchChunk {
				break
			}
			// Catching up, it rests as long as it worked: at most
			// half a core, so triggers, which wait on the writer, keep
			// the rest while the index trails a burst.
			if !x.pause(time.Since(start)) {
				return
			}
		}
	}
}

// searchLagBound is how far (in occurrences) the index may trail the
// writer while it works at the lowest priority (background): past it, it
// indexes at the process's priority until it is back within. Yielding,
// it trails sustained saturation by ~1,000 occurrences a second; the
// bound keeps the tail a search tests by their JSON (searches stay exact)
// at ~20,000 rows, some 100 ms.
const searchLagBound = 20_000

// stepBounded is step on the loop's low-priority thread, or on a goroutine
// of the process's priority while the index trails by more than
// searchLagBound.
func (x *searchIndex) stepBounded(ctx context.Context) (int, error) {
	if x.lag() <= searchLagBound {
		return x.step(ctx)
	}
	type result struct {
		n   int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		n, err := x.step(ctx)
		ch <- result{n, err}
	}()
	r := <-ch
	return r.n, r.err
}

// searchSettle is how long the loop lets commits gather after a kick. At
// 1,000 triggers/s, 250 ms against 20 ms took p99 trigger-to-handler start
// from 6.2-10.2 ms to 4.3-8.0 ms (eventloom bench -rate 1000, three runs
// each, alternated): fewer, larger index transactions rewrite fewer pages.
// Searches stay exact meanwhile; the tail they test is ~250 occurrences.
const searchSettle = 250 * time.Millisecond

// pause waits d, or until stop (then false).
func (x *searchIndex) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-x.stop:
		return false
	case <-t.C:
		return true
	}
}

// catchUp indexes every occurrence committed so far.
func (x *searchIndex) catchUp(ctx context.Context) error {
	for {
		n, err := x.step(ctx)
		if err != nil {
			return err
		}
		if n < searchChunk {
			return nil
		}
	}
}

// step indexes up to searchChunk occurrences past progress.upto in one
// transaction and says how many it read.
func (x *searchIndex) step(ctx context.Context) (int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	var upto int64
	if err := x.conn.QueryRowContext(ctx, "SELECT upto FROM main.progress").Scan(&upto); err != nil {
		return 0, fmt.Errorf("read progress: %w", err)
	}
	rows, err := x.conn.QueryContext(ctx, `SELECT id, event_id, parameters FROM src.occurrences WHERE id > ? ORDER BY id LIMIT ?`, upto, searchChunk)
	if err != nil {
		return 0, fmt.Errorf("read occurrences after %d: %w", upto, err)
	}
	n, last := 0, upto
	for rows.Next() {
		var id, event int64
		// A string, the driver's own value: ParamKeysText slices it
		// where ParamKeys would copy it.
		var params string
		if err := rows.Scan(&id, &event, &params); err != nil {
			rows.Close()
			x.ins.reset()
			return 0, fmt.Errorf("read occurrences after %d: %w", upto, err)
		}
		for _, e := range storage.ParamKeysText(params) {
			if s, ok := e.Key.(string); ok {
				e.Key = indexedText(s)
			}
			x.ins.add(event, e.Name, id>>x.shift, e.Key, id)
		}
		n, last = n+1, id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		x.ins.reset()
		return 0, fmt.Errorf("read occurrences after %d: %w", upto, err)
	}
	if n == 0 {
		return 0, nil
	}
	if err := x.commit(ctx, last); err != nil {
		return 0, fmt.Errorf("index occurrences %d to %d: %w", upto+1, last, err)
	}
	if n == searchChunk && time.Since(x.lastLog) > 5*time.Second {
		x.lastLog = time.Now()
		var newest int64
		if err := x.conn.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) FROM src.occurrences").Scan(&newest); err == nil {
			x.log.Info("store: payload search index catching up", "indexed_upto", last, "newest_occurrence", newest)
		}
	}
	return n, nil
}

// commit writes the staged rows and moves upto to last.
func (x *searchIndex) commit(ctx context.Context, last int64) (err error) {
	// A deferred BEGIN: the first write locks the index file alone,
	// whose only writer this is; IMMEDIATE would also open a transaction
	// on src.
	if _, err := x.conn.ExecContext(ctx, "BEGIN"); err != nil {
		x.ins.reset()
		return err
	}
	defer func() {
		if err != nil {
			_, _ = x.conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	if err := x.ins.flush(ctx, x.conn); err != nil {
		return err
	}
	if _, err := x.conn.ExecContext(ctx, "UPDATE main.progress SET upto = ?", last); err != nil {
		return err
	}
	if _, err = x.conn.ExecContext(ctx, "COMMIT"); err != nil {
		return err
	}
	x.indexed.Store(last)
	return nil
}

// lag is how many occurrence ids the writer committed past the index's
// reach.
func (x *searchIndex) lag() int64 {
	return max(0, x.newest.Load()-x.indexed.Load())
}

// stopLoop stops the loop (idempotent); the index stays as it is.
func (x *searchIndex) stopLoop() {
	select {
	case <-x.done:
	default:
		close(x.stop)
		<-x.done
	}
}

// close closes the file. Called after stopLoop and after the readers that
// attach the file are closed, it is the file's last connection: SQLite
// then checkpoints the file's WAL into it and removes the WAL.
func (x *searchIndex) close() error {
	return errors.Join(x.ins.close(x.conn), x.conn.Close(), x.db.Close())
}

// attachConnector opens the database's read connections with the index
// attached (read only) as schema "search", so one statement reads both.
type attachConnector struct {
	driver.Connector
	index string // the index's URI filename
}

// newAttachConnector is the connector of dsn's connections, each with the
// index file at path attached.
func newAttachConnector(dsn, path string) (driver.Connector, error) {
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return attachConnector{Connector: c, index: fileURI(path) + "?mode=ro"}, nil
}

// Connect opens a connection and attaches the index.
func (c attachConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		conn.Close()
		return nil, errors.New("attach the payload search index: the driver's connection cannot execute statements")
	}
	if _, err := ex.ExecContext(ctx, "ATTACH DATABASE ? AS search", []driver.NamedValue{{Ordinal: 1, Value: c.index}}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("attach the payload search index: %w", err)
	}
	return conn, nil
}
