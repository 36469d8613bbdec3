package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventloom/eventloom/engine/storage"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Config says where and how a Store keeps its database. The zero value of
// every field but Dir means its default.
type Config struct {
	// Dir is the data directory, created (0o700) if missing; the database
	// is Dir/eventloom.db. Required.
	Dir string
	// Synchronous is SQLite's sync setting: "FULL" (the default: a commit
	// survives power loss), "NORMAL" (a commit survives a crash of the
	// process, and may be lost on power loss) or "OFF".
	Synchronous string
	// MaxBatch is the most queued write operations committed in one
	// transaction; default 512. Larger batches amortise the commit's sync.
	MaxBatch int
	// Readers is the size of the read-only connection pool; default 4.
	Readers int
	// Logger receives the store's diagnostics; default slog.Default().
	Logger *slog.Logger
	// Commits, when set, is told of every batch the writer committed or
	// tried to, from the writer's goroutine: metrics read group commit's
	// batch sizes and latency from it. Nil means nobody is told.
	Commits CommitObserver

	// bucketShift is the payload search index's bucket width as a
	// shift (searchBucketShift when zero); tests narrow it so a few
	// occurrences span many buckets.
	bucketShift int
}

// CommitObserver learns of each write batch: how many operations it held
// and how long its transaction took (wall time, BEGIN to COMMIT or
// ROLLBACK). ObserveCommit runs on the writer's goroutine between batches,
// so it must return at once and should not allocate.
type CommitObserver interface {
	ObserveCommit(ops int, took time.Duration, err error)
}

// DatabaseFile is the database's file name inside Config.Dir.
const DatabaseFile = "eventloom.db"

// Store is the SQLite storage.Storage. Open it with Open; Close it once
// done (Close is safe to call more than once).
type Store struct {
	cfg     Config
	log     *slog.Logger
	path    string
	wdb     *sql.DB // one connection, owned by the writer goroutine
	rdb     *sql.DB // read-only pool
	w       *writer
	ops     chan *op
	mu      sync.RWMutex // guards closed against sends on ops
	closed  bool
	done    chan struct{} // closed when the writer goroutine has returned
	once    sync.Once
	depths  atomic.Pointer[map[int64]int]
	closeEr error
	lock    *os.File // LockFile, held until Close
	ckpt    *checkpointer
	search  *searchIndex
	// paramLimits choose payload search plans; tests lower them to
	// exercise every plan on small data.
	paramLimits paramLimits
}

var _ storage.Storage = (*Store)(nil)

// errClosed is returned by writes after Close.
var errClosed = errors.New("store is closed")

// Open opens (creating if needed) the database in cfg.Dir, applies the
// migrations it lacks, checks that the pragmas took effect on the writer
// and on every reader connection, rebuilds the queue counters and starts
// the writer.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Dir == "" {
		return nil, errors.New("open store: Config.Dir is empty; give a data directory")
	}
	if cfg.Synchronous == "" {
		cfg.Synchronous = "FULL"
	}
	cfg.Synchronous = strings.ToUpper(cfg.Synchronous)
	syncLevel, ok := map[string]int{"OFF": 0, "NORMAL": 1, "FULL": 2}[cfg.Synchronous]
	if !ok {
		return nil, fmt.Errorf("open store: Synchronous %q: want FULL, NORMAL or OFF", cfg.Synchronous)
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 512
	}
	if cfg.Readers <= 0 {
		cfg.Readers = 4
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	path, err := filepath.Abs(filepath.Join(cfg.Dir, DatabaseFile))
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	lock, err := lockDir(cfg.Dir)
	if err != nil {
		return nil, err
	}
	if err := removeStaleBackups(cfg.Dir); err != nil {
		_ = lock.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	s := &Store{cfg: cfg, log: cfg.Logger, path: path, done: make(chan struct{}), lock: lock, paramLimits: defaultParamLimits}
	if err := s.open(ctx, syncLevel); err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// dsn is the connection string: busy_timeout first, so the pragmas after
// it wait for locks instead of failing; _txlock=immediate takes the write
// lock at BEGIN, avoiding busy errors on lock upgrade.
func dsn(path, sync string, readOnly bool) string {
	q := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(" + sync + ")&_pragma=foreign_keys(ON)"
	if readOnly {
		q = "mode=ro&" + q + "&_pragma=query_only(1)"
	} else {
		// The writer's savepoints (one per coalesced statement of a
		// batch) keep their sub-journal in memory: in a file, every page
		// a batch touches past 64 KiB was written there too. It holds
		// only what a ROLLBACK TO needs; the WAL still carries every
		// commit to disk.
		// Checkpoints are the checkpointer's (checkpoint.go); the
		// writer's own threshold is a backstop.
		q += "&_pragma=temp_store(MEMORY)&_pragma=wal_autocheckpoint(" + strconv.Itoa(writerAutoCheckpointPages) + ")&_txlock=immediate"
	}
	return fileURI(path) + "?" + q
}

func (s *Store) open(ctx context.Context, syncLevel int) error {
	wdb, err := sql.Open("sqlite", dsn(s.path, s.cfg.Synchronous, false))
	if err != nil {
		return err
	}
	s.wdb = wdb
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	conn, err := wdb.Conn(ctx)
	if err != nil {
		return err
	}
	if err := checkPragmas(ctx, conn, syncLevel); err != nil {
		conn.Close()
		return fmt.Errorf("writer connection: %w", err)
	}
	if err := checkTempStore(ctx, conn); err != nil {
		conn.Close()
		return fmt.Errorf("writer connection: %w", err)
	}
	if err := migrate(ctx, conn); err != nil {
		conn.Close()
		return err
	}

	// The payload search index is opened (and created) before the
	// readers, which attach it.
	var lineage string
	var newest int64
	if err := conn.QueryRowContext(ctx, `SELECT (SELECT value FROM settings WHERE name = ?), (SELECT coalesce(max(id), 0) FROM occurrences)`,
		lineageSetting).Scan(&lineage, &newest); err != nil {
		conn.Close()
		return fmt.Errorf("read the database's lineage: %w", err)
	}
	indexPath := filepath.Join(filepath.Dir(s.path), SearchIndexFile)
	connector, err := newAttachConnector(dsn(s.path, s.cfg.Synchronous, true), indexPath)
	if err != nil {
		conn.Close()
		return err
	}
	rdb := sql.OpenDB(connector)
	s.rdb = rdb
	if s.search, err = openSearchIndex(ctx, indexPath, s.path, lineage, newest, s.cfg.bucketShift, s.log); err != nil {
		// The index is derived: one that cannot be opened (a damaged
		// file, say) is deleted and built again.
		s.log.Warn("store: the payload search index cannot be opened; deleting it to build it again", "err", err)
		if rerr := removeSearchIndex(indexPath); rerr != nil {
			conn.Close()
			return fmt.Errorf("%w; deleting it to rebuild it failed too: %v (stop eventloom and delete %s and its -wal and -shm files by hand)", err, rerr, indexPath)
		}
		if s.search, err = openSearchIndex(ctx, indexPath, s.path, lineage, newest, s.cfg.bucketShift, s.log); err != nil {
			conn.Close()
			return err
		}
	}
	rdb.SetMaxOpenConns(s.cfg.Readers)
	rdb.SetMaxIdleConns(s.cfg.Readers)
	rdb.SetConnMaxLifetime(0)
	rdb.SetConnMaxIdleTime(0)
	// Check every reader connection: each one ran the DSN's pragmas itself.
	rconns := make([]*sql.Conn, 0, s.cfg.Readers)
	defer func() {
		for _, c := range rconns {
			c.Close()
		}
	}()
	for range s.cfg.Readers {
		c, err := rdb.Conn(ctx)
		if err != nil {
			conn.Close()
			return fmt.Errorf("reader connection: %w", err)
		}
		rconns = append(rconns, c)
		if err := checkPragmas(ctx, c, syncLevel); err != nil {
			conn.Close()
			return fmt.Errorf("reader connection: %w", err)
		}
	}

	if s.ckpt, err = newCheckpointer(s.path, s.cfg.Synchronous, s.log); err != nil {
		conn.Close()
		return err
	}
	w, err := newWriter(ctx, s, conn)
	if err != nil {
		conn.Close()
		return err
	}
	s.w = w
	s.publishDepths()
	s.ops = make(chan *op, 4*s.cfg.MaxBatch)
	go s.w.loop()
	s.search.start()
	return nil
}

// checkPragmas reads back what the DSN asked for: a pragma SQLite could
// not apply (journal_mode on a file system without shared memory, say)
// fails silently, and WAL and the sync level are what the durability
// promise of storage.Storage rests on.
func checkPragmas(ctx context.Context, c *sql.Conn, syncLevel int) error {
	var mode string
	if err := c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("read journal_mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal_mode is %q, not wal: the file system may not support WAL's shared memory; use a local disk", mode)
	}
	var sync int
	if err := c.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		return fmt.Errorf("read synchronous: %w", err)
	}
	if sync != syncLevel {
		return fmt.Errorf("synchronous is %d, not the configured %d", sync, syncLevel)
	}
	var fk int
	if err := c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		return fmt.Errorf("read foreign_keys: %w", err)
	}
	if fk != 1 {
		return errors.New("foreign_keys is off")
	}
	return nil
}

// checkTempStore reads back the writer's temp_store: 2 (MEMORY) keeps the
// savepoints' sub-journal off the disk.
func checkTempStore(ctx context.Context, c *sql.Conn) error {
	var ts int
	if err := c.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&ts); err != nil {
		return fmt.Errorf("read temp_store: %w", err)
	}
	if ts != 2 {
		return fmt.Errorf("temp_store is %d, not 2 (MEMORY)", ts)
	}
	return nil
}

// migrate applies the migrations the database lacks, each in one
// transaction with its user_version bump.
func migrate(ctx context.Context, c *sql.Conn) error {
	var version int
	if err := c.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("migrate: read user_version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("migrate: the database is at schema version %d, newer than this program's %d; run a newer eventloom", version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		tx, err := c.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate to %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate to %d: %w", i+1, err)
		}
		// PRAGMA takes no parameters; i+1 is a small integer of ours.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate to %d: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate to %d: %w", i+1, err)
		}
	}
	return nil
}

// Close stops accepting writes, finishes (commits) those already accepted,
// then closes the database. Writes after Close fail; Close is idempotent.
func (s *Store) Close() error {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.ops)
		s.mu.Unlock()
		<-s.done
		s.closeEr = s.closeDBs()
	})
	return s.closeEr
}

func (s *Store) closeDBs() error {
	var errs []error
	if s.ckpt != nil { // before the writer's connection, whose close checkpoints last
		errs = append(errs, s.ckpt.stop())
	}
	if s.w != nil {
		errs = append(errs, s.w.close())
	}
	if s.search != nil { // before the readers, from which it reads
		s.search.stopLoop()
	}
	if s.rdb != nil {
		errs = append(errs, s.rdb.Close())
	}
	if s.search != nil { // after the readers, which attach it
		errs = append(errs, s.search.close())
	}
	if s.wdb != nil {
		errs = append(errs, s.wdb.Close())
	}
	if s.lock != nil { // last: the database is closed before another may open it
		errs = append(errs, s.lock.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// submit hands o to the writer and waits for its outcome. Once the writer
// has accepted o, a done ctx returns early but the write may still commit.
func (s *Store) submit(ctx context.Context, o *op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o.ctx = ctx
	o.done = make(chan struct{})
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return errClosed
	}
	select {
	case s.ops <- o:
	case <-ctx.Done():
		s.mu.RUnlock()
		return ctx.Err()
	}
	s.mu.RUnlock()
	select {
	case <-o.done:
		return o.err
	case <-ctx.Done():
		return fmt.Errorf("%w (the write may still commit)", ctx.Err())
	}
}

// publishDepths makes the writer's pending counters visible to
// QueueDepths; the writer calls it after a commit that changed them.
func (s *Store) publishDepths() {
	m := make(map[int64]int, len(s.w.pending))
	for k, v := range s.w.pending {
		if v > 0 {
			m[k] = v
		}
	}
	s.depths.Store(&m)
}

// SearchIndexLag is how many occurrences (by id) the payload search index
// has yet to reach. Searches stay exact meanwhile by testing those
// occurrences' JSON, so they slow as it grows; a lag that keeps growing
// says the index cannot keep up with the triggers.
func (s *Store) SearchIndexLag() int64 {
	return s.search.lag()
}

// QueueDepths returns the pending occurrences per event id, from the
// counters as of the last commit.
func (s *Store) QueueDepths(ctx context.Context) (map[int64]int, error) {
	m := *s.depths.Load()
	out := make(map[int64]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out, nil
}

// nanos is t as stored: unix nanoseconds, 0 for the zero time.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// bound is a filter's time as stored nanoseconds, saturating outside the
// years int64 nanoseconds can hold (1678 to 2262), where UnixNano wraps
// round: a window ending in the year 9999 still means "until the end".
func bound(t time.Time) int64 {
	switch {
	case t.After(maxNanosTime):
		return math.MaxInt64
	case t.Before(minNanosTime):
		return math.MinInt64
	}
	return t.UnixNano()
}

var (
	maxNanosTime = time.Unix(0, math.MaxInt64)
	minNanosTime = time.Unix(0, math.MinInt64)
)

// fromNanos is a stored time as a UTC time.Time; 0 is the zero time.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
